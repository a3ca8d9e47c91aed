// One place for the PF's failures that must not stop what it is doing (a BYE to a leg already gone, an MSRP
// connect that the peer refused, a store write after a lost connection): each is logged with what failed,
// never silently dropped.
import type { Logger } from '../../runtime/index.js';

/** `.catch(sink('what failed'))`: logs the error at debug (expected in normal operation) with its context. */
export type ErrorSink = (what: string, context?: Record<string, unknown>) => (err: unknown) => void;

export function errorSink(logger: Logger): ErrorSink {
  return (what, context = {}) =>
    (err) => {
      logger.debug(what, { ...context, error: err instanceof Error ? err.message : String(err) });
    };
}
