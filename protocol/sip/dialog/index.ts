// Dialogs (RFC 3261 §12) and the UAS 2xx retransmission (§13.3.1.4).
export * from './dialog.js';
export * from './uas-2xx-retransmitter.js';
