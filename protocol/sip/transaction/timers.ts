// Transaction timers (RFC 3261 §17, Table 4 in Appendix A; RFC 6026 §8.11 for L and M).

export interface TimerSettings {
  /** RTT estimate; default 500 ms (RFC 3261 §17.1.1.1). */
  t1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses; default 4 s. */
  t2: number;
  /** Maximum time a message may remain in the network; default 5 s. */
  t4: number;
  /** Timer D over unreliable transports; default max(32 s, 64*T1) (RFC 3261 §17.1.1.2: at least 32 s). */
  timerD?: number;
}

export const DEFAULT_TIMERS: Readonly<TimerSettings> = { t1: 500, t2: 4000, t4: 5000 };

/** Resolved values in ms; retransmit timers (A, E, G) are initial intervals and unused on reliable transports. */
export interface TimerValues {
  A: number;
  B: number;
  D: number;
  E: number;
  F: number;
  G: number;
  H: number;
  I: number;
  J: number;
  K: number;
  L: number;
  M: number;
  T2: number;
  reliable: boolean;
}

/** RFC 3261 Table 4: D, I, J and K are zero on reliable transports; A, E, G are not used there. */
export function timerValues(settings: TimerSettings, reliable: boolean): TimerValues {
  const { t1, t2, t4 } = settings;
  return {
    A: t1,
    B: 64 * t1,
    D: reliable ? 0 : (settings.timerD ?? Math.max(32_000, 64 * t1)),
    E: t1,
    F: 64 * t1,
    G: t1,
    H: 64 * t1,
    I: reliable ? 0 : t4,
    J: reliable ? 0 : 64 * t1,
    K: reliable ? 0 : t4,
    L: 64 * t1,
    M: 64 * t1,
    T2: t2,
    reliable,
  };
}

/** Named one-shot timers of one state machine. */
export class TimerSet<Name extends string> {
  readonly #handles = new Map<Name, ReturnType<typeof setTimeout>>();

  start(name: Name, ms: number, fire: () => void): void {
    this.clear(name);
    this.#handles.set(
      name,
      setTimeout(() => {
        this.#handles.delete(name);
        fire();
      }, ms),
    );
  }

  clear(name: Name): void {
    const handle = this.#handles.get(name);
    if (handle !== undefined) clearTimeout(handle);
    this.#handles.delete(name);
  }

  clearAll(): void {
    for (const handle of this.#handles.values()) clearTimeout(handle);
    this.#handles.clear();
  }

  has(name: Name): boolean {
    return this.#handles.has(name);
  }
}

/**
 * Deadlines of one fixed duration, in the order they were added: one Node timer for all of them, armed for the
 * oldest. The layer's wait states (RFC 3261 Timers D, I, J, K; RFC 6026 L, M) all last a fixed time per
 * layer, so a FIFO is exact and costs a slot per entry instead of a Timeout object and a closure.
 */
export class ExpiryQueue<T> {
  readonly ms: number;
  readonly #onExpire: (item: T) => void;
  readonly #unref: boolean;
  /** Entries before #head are done (undefined: released for the GC); the arrays are compacted now and then. */
  #items: Array<T | undefined> = [];
  /** Deadline of each entry (Date.now() ms); a separate array of doubles, stored unboxed. */
  #ats: number[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `unref`: the pending timer does not keep the process alive (bookkeeping nobody waits for). */
  constructor(ms: number, onExpire: (item: T) => void, options: { unref?: boolean } = {}) {
    this.ms = ms;
    this.#onExpire = onExpire;
    this.#unref = options.unref ?? false;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  add(item: T): void {
    this.#items.push(item);
    this.#ats.push(Date.now() + this.ms);
    if (this.#timer === undefined) this.#arm();
  }

  /** Forget every entry without expiring it (layer shutdown). */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#items = [];
    this.#ats = [];
    this.#head = 0;
  }

  #arm(): void {
    const at = this.#ats[this.#head];
    if (at === undefined) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()));
    if (this.#unref) this.#timer.unref();
  }

  #fire(): void {
    const now = Date.now();
    while (this.#head < this.#ats.length && this.#ats[this.#head]! <= now) {
      const item = this.#items[this.#head] as T;
      this.#items[this.#head++] = undefined;
      try {
        this.#onExpire(item);
      } catch {
        // the owner reports its own errors; one failing entry must not keep the others alive
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#ats = this.#ats.slice(this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}
