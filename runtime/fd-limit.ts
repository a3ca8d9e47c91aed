// File descriptors against the process's limit (RLIMIT_NOFILE, `ulimit -n`): a node that would run out
// half-way through starting fails at once with the reason, instead of with a socket error from somewhere.
import { readdirSync, readFileSync } from 'node:fs';

export interface FdBudget {
  /** Descriptors open now. */
  open: number;
  /** The soft limit (what `ulimit -n` shows); undefined when unknown (not Linux) or unlimited. */
  limit: number | undefined;
}

/** This process's open descriptors and soft limit, from /proc (Linux); elsewhere `limit` is undefined. */
export function fdBudget(): FdBudget {
  try {
    const open = readdirSync('/proc/self/fd').length;
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const limit = soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
    return { open, limit: Number.isFinite(limit) ? limit : undefined };
  } catch {
    return { open: 0, limit: undefined };
  }
}

/**
 * Throws when `needed` more descriptors do not fit under the soft limit; `what` says what needs them and
 * how the number was reckoned, for the message.
 */
export function assertFdsAvailable(needed: number, what: string, budget: FdBudget = fdBudget()): void {
  if (budget.limit === undefined || budget.open + needed <= budget.limit) return;
  throw new Error(
    `${what} needs about ${needed} file descriptors; this process has ${budget.open} open and may open ` +
      `${budget.limit} (ulimit -n). Raise the limit (e.g. ulimit -n ${roundUp(budget.open + needed)}) or start fewer nodes.`,
  );
}

function roundUp(n: number): number {
  return Math.ceil(n / 1024) * 1024;
}
