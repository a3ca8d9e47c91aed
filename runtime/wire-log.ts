// At log level debug, every SIP and MSRP message a node sends or receives goes to its log in full (the text
// of the bytes; the logger keeps each entry on one line, so a peer's CR/LF cannot forge log lines). Bodies
// beyond 64 KiB are cut, with the total size said.
import type { WireTrace } from '../protocol/trace/index.js';
import type { Logger } from './logger.js';

const MAX_LOGGED_BYTES = 64 * 1024;

/** Log `trace`'s messages at debug when `logger` logs debug; returns the unsubscribe (a no-op otherwise). */
export function logWireMessages(trace: WireTrace, logger: Logger): () => void {
  if (!logger.enabled('debug')) return () => {};
  return trace.subscribe((e) => {
    const cut = e.raw.length > MAX_LOGGED_BYTES;
    const text = e.raw.subarray(0, MAX_LOGGED_BYTES).toString('utf8');
    logger.debug(`${e.direction === 'out' ? 'sent' : 'received'} ${e.protocol.toUpperCase()}`, {
      transport: e.transport,
      local: `${e.local.address}:${e.local.port}`,
      remote: `${e.remote.address}:${e.remote.port}`,
      bytes: e.raw.length,
      message: cut ? `${text}… (${e.raw.length - MAX_LOGGED_BYTES} more bytes)` : text,
    });
  });
}
