// Client transactions (RFC 4975 §7.1.1, §7.3): a request waits for its response, bounded by a timer
// (30 s by default; no response is treated as 408). One table per connection.
import type { MsrpResponse } from './frame.js';

export type TransactionState = 'pending' | 'answered' | 'timed-out' | 'connection-lost';

export type TransactionOutcome =
  | { kind: 'response'; response: MsrpResponse }
  | { kind: 'timeout' }
  | { kind: 'connection-lost' };

type TransactionEvent = TransactionOutcome;

interface ClientTransaction {
  readonly tid: string;
  state: TransactionState;
  timer: NodeJS.Timeout | undefined;
  readonly onOutcome: (outcome: TransactionOutcome) => void;
}

/** One transition function: only `pending` moves, and it moves exactly once. */
function transition(state: TransactionState, event: TransactionEvent): TransactionState {
  if (state !== 'pending') return state;
  switch (event.kind) {
    case 'response':
      return 'answered';
    case 'timeout':
      return 'timed-out';
    case 'connection-lost':
      return 'connection-lost';
  }
}

export class TransactionTable {
  readonly #pending = new Map<string, ClientTransaction>();

  get size(): number {
    return this.#pending.size;
  }

  has(tid: string): boolean {
    return this.#pending.has(tid);
  }

  /** Start waiting for the response to `tid`; the callback runs once, with the first outcome. */
  start(tid: string, timeoutMs: number, onOutcome: (outcome: TransactionOutcome) => void): void {
    const tx: ClientTransaction = { tid, state: 'pending', timer: undefined, onOutcome };
    tx.timer = setTimeout(() => this.#apply(tx, { kind: 'timeout' }), timeoutMs);
    this.#pending.set(tid, tx);
  }

  /** Match a response to its transaction (RFC 4975 §7.2: same transaction ID). False if unknown. */
  answer(response: MsrpResponse): boolean {
    const tx = this.#pending.get(response.transactionId);
    if (!tx) return false;
    this.#apply(tx, { kind: 'response', response });
    return true;
  }

  /** The connection is gone: every pending transaction fails. */
  failAll(): void {
    for (const tx of [...this.#pending.values()]) this.#apply(tx, { kind: 'connection-lost' });
  }

  #apply(tx: ClientTransaction, event: TransactionEvent): void {
    const next = transition(tx.state, event);
    if (next === tx.state) return;
    tx.state = next;
    clearTimeout(tx.timer);
    tx.timer = undefined;
    this.#pending.delete(tx.tid);
    tx.onOutcome(event);
  }
}
