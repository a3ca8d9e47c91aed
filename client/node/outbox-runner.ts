// Runs the outbox state machine (domain/outbox.ts, D1.viii / R3): feeds it events, persists its state in the
// client store (queued messages survive a restart) and hands each command to the executor. Commands are
// executed after the state is saved, in order, and never re-entrantly.
import { type OutboxCommand, type OutboxEvent, type OutboxState, outboxTransition } from '../domain/index.js';
import type { ClientStore } from '../store/index.js';

export interface OutboxExecutor {
  execute(command: OutboxCommand): void;
}

export class OutboxRunner {
  readonly #store: ClientStore;
  readonly #executor: OutboxExecutor;
  readonly #pending: OutboxEvent[] = [];
  #running = false;

  constructor(store: ClientStore, executor: OutboxExecutor) {
    this.#store = store;
    this.#executor = executor;
  }

  get state(): OutboxState {
    return this.#store.outbox;
  }

  /**
   * Feed one event; returns the commands it produced (events fed while a command runs are queued behind it
   * and their commands are not returned).
   */
  dispatch(event: OutboxEvent): OutboxCommand[] {
    this.#pending.push(event);
    if (this.#running) return [];
    this.#running = true;
    const first: OutboxCommand[] = [];
    try {
      let isFirst = true;
      for (let e = this.#pending.shift(); e !== undefined; e = this.#pending.shift()) {
        const t = outboxTransition(this.#store.outbox, e);
        this.#store.setOutbox(t.state); // the same state when nothing changed: then nothing is written
        if (isFirst) first.push(...t.commands);
        isFirst = false;
        for (const c of t.commands) this.#executor.execute(c);
      }
    } finally {
      this.#running = false;
    }
    return first;
  }
}
