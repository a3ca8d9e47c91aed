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
