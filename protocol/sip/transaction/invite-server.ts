// INVITE server transaction (RFC 3261 §17.2.1, Figure 7) with the Accepted state of RFC 6026 §7.1,
// and the CANCEL hook of §9.2.
import type { SipRequest, SipResponse } from '../message.js';
import { ServerTransactionBase, type ServerTransactionEnv } from './server-transaction.js';
import { TimerSet } from './timers.js';
import { createResponse } from '../builders.js';
import { ownedString } from '../owned-string.js';
import { illegalTransition } from './illegal-transition.js';

export enum InviteServerState {
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Confirmed = 'Confirmed',
  /** RFC 6026 §7.1: a 2xx was sent; INVITE retransmissions are absorbed, ACKs go to the TU, until Timer L. */
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

const TRANSITIONS: Record<InviteServerState, readonly InviteServerState[]> = {
  [InviteServerState.Proceeding]: [
    InviteServerState.Completed,
    InviteServerState.Accepted,
    InviteServerState.Terminated,
  ],
  [InviteServerState.Completed]: [InviteServerState.Confirmed, InviteServerState.Terminated],
  [InviteServerState.Confirmed]: [InviteServerState.Terminated],
  [InviteServerState.Accepted]: [InviteServerState.Terminated],
  [InviteServerState.Terminated]: [],
};

type TimerName = 'G' | 'H';

export class InviteServerTransaction extends ServerTransactionBase<InviteServerState> {
  readonly kind = 'invite' as const;
  protected state_ = InviteServerState.Proceeding;
  readonly #timers = new TimerSet<TimerName>();
  readonly #cancelListeners = new Set<(cancel: SipRequest) => void>();
  readonly #timeoutListeners = new Set<() => void>();
  #cancelled = false;

  constructor(request: SipRequest, env: ServerTransactionEnv) {
    super(request, env);
  }

  /** Whether a CANCEL matched this transaction (§9.2). */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** §9.2: a matching CANCEL arrived (already answered 200 by the layer). */
  onCancel(listener: (cancel: SipRequest) => void): this {
    this.#cancelListeners.add(listener);
    return this;
  }

  /** §17.2.1: Timer H fired — the ACK for our non-2xx final response never came. */
  onTimeout(listener: () => void): this {
    this.#timeoutListeners.add(listener);
    return this;
  }

  /**
   * §17.2.1: the 100 (Trying) is sent at once rather than after 200 ms: the stack cannot know how fast
   * the TU answers, and an early 100 stops the client's INVITE retransmissions (Timer A) soonest.
   */
  start(): void {
    void this.respond(createResponse(this.request, 100));
  }

  respond(response: SipResponse): Promise<void> {
    const status = response.status;
    switch (this.state_) {
      case InviteServerState.Proceeding:
        this.learnTag(response);
        this.lastResponse_ = response;
        if (status < 200) return this.#send(response);
        if (status < 300) {
          // RFC 6026 §7.1: 2xx → Accepted (the TU retransmits it until the ACK, §13.3.1.4).
          const sent = this.#send(response);
          this.#transition(InviteServerState.Accepted);
          return sent;
        }
        {
          const sent = this.#send(response);
          this.#transition(InviteServerState.Completed);
          return sent;
        }
      case InviteServerState.Accepted:
        // RFC 6026 §7.1: the TU's 2xx retransmissions pass through; nothing else does.
        if (status >= 200 && status < 300) return this.#send(response);
        return Promise.resolve();
      default:
        return Promise.resolve();
    }
  }

  receiveRequest(request: SipRequest): void {
    if (request.method === 'ACK') {
      this.receiveAck();
      return;
    }
    switch (this.state_) {
      case InviteServerState.Proceeding:
      case InviteServerState.Completed:
        // §17.2.1: a retransmitted INVITE gets the most recent provisional / the final response again.
        if (this.lastResponse_) void this.#send(this.lastResponse_);
        return;
      default:
        // Confirmed, Accepted (RFC 6026 §7.1): absorbed.
        return;
    }
  }

  /** An ACK matched this transaction. Returns true when it is an ACK for a 2xx that belongs to the TU. */
  receiveAck(): boolean {
    switch (this.state_) {
      case InviteServerState.Completed:
        this.#transition(InviteServerState.Confirmed);
        return false;
      case InviteServerState.Accepted:
        return true;
      default:
        return false;
    }
  }

  /** §9.2: called by the layer for a matching CANCEL; returns whether no final response was sent yet. */
  cancel(cancel: SipRequest): boolean {
    const pending = this.state_ === InviteServerState.Proceeding;
    this.#cancelled = true;
    for (const listener of this.#cancelListeners) {
      try {
        listener(cancel);
      } catch (err) {
        this.env.onError(err);
      }
    }
    return pending && this.state_ === InviteServerState.Proceeding;
  }

  terminate(): void {
    this.#transition(InviteServerState.Terminated);
  }

  endWait(): void {
    if (this.state_ === InviteServerState.Confirmed || this.state_ === InviteServerState.Accepted)
      this.#transition(InviteServerState.Terminated);
  }

  #send(response: SipResponse): Promise<void> {
    return this.transmit(response, () => this.#transition(InviteServerState.Terminated));
  }

  // §17.2.1: Timer G retransmits the final response, doubling up to T2.
  #startTimerG(interval: number): void {
    this.#timers.start('G', interval, () => {
      if (this.state_ !== InviteServerState.Completed || !this.lastResponse_) return;
      void this.#send(this.lastResponse_);
      this.#startTimerG(Math.min(2 * interval, this.timerValues.T2));
    });
  }

  /** The one transition point: entry actions per Figure 7 (and RFC 6026 Figure 7). */
  #transition(to: InviteServerState): void {
    const from = this.state_;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to)) {
      illegalTransition('INVITE server transaction', from, to, (err) => this.env.onError(err));
      return;
    }
    this.state_ = to;
    switch (to) {
      case InviteServerState.Completed:
        if (!this.timerValues.reliable) this.#startTimerG(this.timerValues.G);
        this.#timers.start('H', this.timerValues.H, () => {
          // §17.2.1: no ACK within 64*T1 → Terminated, the TU is told.
          for (const listener of this.#timeoutListeners) {
            try {
              listener();
            } catch (err) {
              this.env.onError(err);
            }
          }
          this.#transition(InviteServerState.Terminated);
        });
        return;
      case InviteServerState.Confirmed:
        this.#timers.clear('G');
        this.#timers.clear('H');
        // §17.2.1: Timer I = T4 unreliable, 0 reliable, absorbs further ACKs.
        if (this.timerValues.I === 0) this.#transition(InviteServerState.Terminated);
        else this.linger(this.timerValues.I, { state: 'confirmed', toTag: ownedString(this.toTag) });
        return;
      case InviteServerState.Accepted:
        // RFC 6026 §7.1: Timer L = 64*T1.
        this.linger(this.timerValues.L, { state: 'accepted', toTag: ownedString(this.toTag) });
        return;
      case InviteServerState.Terminated:
        this.#timers.clearAll();
        this.settleTerminated();
        return;
      case InviteServerState.Proceeding:
        return;
    }
  }
}
