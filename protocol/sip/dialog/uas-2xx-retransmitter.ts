// RFC 3261 §13.3.1.4: the UAS core retransmits a 2xx to INVITE until the ACK arrives (every T1, doubling up to
// T2), "independent of whatever transport protocols are used to send the response": over TCP too, since an
// ACK can be lost end to end behind a proxy even when every hop is reliable. After 64*T1 without ACK the
// session should be ended (BYE).

export interface RetransmitterTimers {
  t1: number;
  t2: number;
}

export type RetransmitterState = 'waiting-for-ack' | 'acknowledged' | 'timed-out' | 'stopped';

export class Uas2xxRetransmitter {
  state: RetransmitterState = 'waiting-for-ack';
  #interval: number;
  #retransmitTimer: NodeJS.Timeout | undefined;
  #giveUpTimer: NodeJS.Timeout | undefined;
  readonly #timers: RetransmitterTimers;
  readonly #retransmit: () => void;
  readonly #onTimeout: () => void;

  /**
   * @param retransmit sends the same 2xx again (errors are the caller's to swallow).
   * @param onTimeout called once when no ACK came within 64*T1.
   */
  constructor(options: {
    timers: RetransmitterTimers;
    retransmit: () => void;
    onTimeout: () => void;
  }) {
    this.#timers = options.timers;
    this.#interval = options.timers.t1;
    this.#retransmit = options.retransmit;
    this.#onTimeout = options.onTimeout;
    this.#schedule();
    this.#giveUpTimer = setTimeout(() => this.#timeout(), 64 * options.timers.t1);
  }

  #schedule(): void {
    this.#retransmitTimer = setTimeout(() => {
      if (this.state !== 'waiting-for-ack') return;
      this.#retransmit();
      this.#interval = Math.min(2 * this.#interval, this.#timers.t2);
      this.#schedule();
    }, this.#interval);
  }

  #timeout(): void {
    if (this.state !== 'waiting-for-ack') return;
    this.#clear();
    this.state = 'timed-out';
    this.#onTimeout();
  }

  /** The ACK arrived: stop retransmitting. */
  acknowledge(): void {
    if (this.state !== 'waiting-for-ack') return;
    this.#clear();
    this.state = 'acknowledged';
  }

  stop(): void {
    if (this.state !== 'waiting-for-ack') return;
    this.#clear();
    this.state = 'stopped';
  }

  #clear(): void {
    clearTimeout(this.#retransmitTimer);
    clearTimeout(this.#giveUpTimer);
    this.#retransmitTimer = undefined;
    this.#giveUpTimer = undefined;
  }
}
