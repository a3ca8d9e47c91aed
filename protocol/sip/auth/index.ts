// Digest authentication (RFC 3261 §22) for UACs and UASs.
export * from './digest.js';
