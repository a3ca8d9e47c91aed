// Process lifecycle for `cpm-lab <role>` commands: clean exit on SIGTERM/SIGINT, and the one
// "ready" log line that runners and Compose health checks wait for.

import type { LogFields, Logger } from './logger.js';

export const DEFAULT_SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** What onShutdown listens on; process by default. */
export interface SignalTarget {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface ShutdownOptions {
  logger?: Logger;
  /** Give up on the handler after this long and exit 1 (default 10 s). */
  timeoutMs?: number;
  /** Default: process.exit. */
  exit?: (code: number) => void;
  /** Default: process. */
  target?: SignalTarget;
}

/**
 * On the first of `signals`, run `handler` (close servers, flush stores) and exit 0, or 1 if it
 * throws or outlasts timeoutMs. A second signal exits 1 at once. Returns a function that removes
 * the listeners.
 */
export function onShutdown(
  signals: readonly NodeJS.Signals[],
  handler: (signal: NodeJS.Signals) => void | Promise<void>,
  options: ShutdownOptions = {},
): () => void {
  const target = options.target ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const logger = options.logger;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let shuttingDown = false;

  const listener = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger?.warn('second signal during shutdown, exiting now', { signal });
      exit(1);
      return;
    }
    shuttingDown = true;
    logger?.info('shutting down', { signal });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    const run = Promise.resolve()
      .then(() => handler(signal))
      .then(() => 'done' as const);
    Promise.race([run, timeout]).then(
      (outcome) => {
        clearTimeout(timer);
        if (outcome === 'timeout') {
          logger?.error('shutdown did not finish in time, exiting', { timeoutMs });
          exit(1);
        } else {
          logger?.info('stopped');
          exit(0);
        }
      },
      (err: unknown) => {
        clearTimeout(timer);
        logger?.error('shutdown failed', { err });
        exit(1);
      },
    );
  };

  for (const signal of signals) target.on(signal, listener);
  return () => {
    for (const signal of signals) target.off(signal, listener);
  };
}

/** The single "ready" line a node logs once it serves (control URL, SIP/MSRP addresses, ...). */
export function logReady(logger: Logger, fields: LogFields = {}): void {
  logger.info('ready', { ...fields, pid: process.pid });
}
