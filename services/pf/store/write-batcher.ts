// Store writes off the message path (architecture.md "Rules": no synchronous file I/O on a message path;
// batch store writes). A handler calls `run(op)` and awaits the promise; the ops queued during one turn of the
// event loop run together on `setImmediate` in ONE transaction, so N messages cost one commit (one WAL append,
// and one fsync with synchronous=FULL) instead of N.
//
// Trade-offs:
// - The driver is synchronous, so the batch still runs on the event-loop thread; it is moved out of the
//   handler and amortised, not moved off-thread (a worker thread would be the next step if a profile says so).
// - A write is durable only once its promise resolves. The node must answer upstream (e.g. the sender's MSRP
//   200 OK) after that, so that nothing acknowledged is lost by a crash between `run` and the commit.
// - An op that throws is rolled back alone and rejects its own promise; the others in the batch still commit.
//   A batch first runs with no savepoint at all (runtime/sqlite.ts tryAllOrNothing); only if something in it
//   threw is it rolled back and run again with a savepoint per op. So an op must be a store operation and
//   nothing else: it may run twice, and its first run's writes may be undone. If the COMMIT fails (I/O error,
//   disk full) every op of the batch rejects.
// - Up to `maxBatch` ops per transaction; a longer queue is drained in several transactions in order.
import { type PfDatabase, runTransaction } from './database.js';
import { StoreError } from './errors.js';

export interface WriteBatcherOptions {
  /** Most ops per transaction (default 256). */
  maxBatch?: number;
  /** How a flush is scheduled (default setImmediate: after the current I/O callbacks). */
  schedule?: (flush: () => void) => void;
}

interface QueuedOp {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface BatchStats {
  batches: number;
  ops: number;
}

export class WriteBatcher {
  readonly #db: PfDatabase;
  readonly #maxBatch: number;
  readonly #schedule: (flush: () => void) => void;
  #queue: QueuedOp[] = [];
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];
  readonly stats: BatchStats = { batches: 0, ops: 0 };

  constructor(db: PfDatabase, options: WriteBatcherOptions = {}) {
    this.#db = db;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.#schedule = options.schedule ?? ((fn) => setImmediate(fn));
  }

  /** Ops waiting for the next flush. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Queue a synchronous store operation (store work only: it may run twice); resolves once committed. */
  run<T>(op: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError('closed', 'write batcher is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      this.#arm();
    });
  }

  /** Resolves when every op queued so far has been committed (or rejected). */
  flush(): Promise<void> {
    if (this.#queue.length === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#idle.push(resolve);
      this.#arm();
    });
  }

  /** Flush what is queued, then refuse new ops. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #arm(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      this.#commit(batch);
    }
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  #commit(batch: QueuedOp[]): void {
    let outcomes: Outcome[];
    try {
      outcomes = this.#allOrNothing(batch) ?? this.#eachInSavepoint(batch);
    } catch (error) {
      // The transaction itself failed (BEGIN, COMMIT: I/O error, disk full, closed): nothing of it stays.
      for (const { reject } of batch) reject(error);
      return;
    }
    this.stats.batches++;
    this.stats.ops += batch.length;
    for (const [i, { resolve, reject }] of batch.entries()) {
      const outcome = outcomes[i]!;
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    }
  }

  /**
   * Usually no op fails: the batch in one transaction with no savepoint per op (nor in the ops' own nested
   * transactions). Undefined, with that transaction rolled back, if anything in it threw.
   */
  #allOrNothing(batch: QueuedOp[]): Outcome[] | undefined {
    const done = this.#db.tryAllOrNothing(() => batch.map(({ op }) => op()));
    return done?.value.map((value): Outcome => ({ ok: true, value }));
  }

  /** Each op in a savepoint of one transaction, so that a failing op is undone alone. */
  #eachInSavepoint(batch: QueuedOp[]): Outcome[] {
    const outcomes: Outcome[] = [];
    this.#db.transaction(() => {
      for (const { op } of batch) {
        try {
          outcomes.push({ ok: true, value: runTransaction(this.#db.db, op) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
    return outcomes;
  }
}
