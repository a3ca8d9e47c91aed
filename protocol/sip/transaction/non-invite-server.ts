// Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
import type { SipRequest, SipResponse } from '../message.js';
import { ServerTransactionBase, type ServerTransactionEnv } from './server-transaction.js';
import { illegalTransition } from './illegal-transition.js';

export enum NonInviteServerState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

const TRANSITIONS: Record<NonInviteServerState, readonly NonInviteServerState[]> = {
  [NonInviteServerState.Trying]: [
    NonInviteServerState.Proceeding,
    NonInviteServerState.Completed,
    NonInviteServerState.Terminated,
  ],
  [NonInviteServerState.Proceeding]: [NonInviteServerState.Completed, NonInviteServerState.Terminated],
  [NonInviteServerState.Completed]: [NonInviteServerState.Terminated],
  [NonInviteServerState.Terminated]: [],
};

export class NonInviteServerTransaction extends ServerTransactionBase<NonInviteServerState> {
  readonly kind = 'non-invite' as const;
  protected state_ = NonInviteServerState.Trying;

  constructor(request: SipRequest, env: ServerTransactionEnv) {
    super(request, env);
  }

  /** §17.2.2: no automatic 100 for non-INVITE requests (RFC 4320 §4.1 discourages it). */
  start(): void {}

  respond(response: SipResponse): Promise<void> {
    switch (this.state_) {
      case NonInviteServerState.Trying:
      case NonInviteServerState.Proceeding: {
        this.learnTag(response);
        this.lastResponse_ = response;
        const sent = this.#send(response);
        this.#transition(
          response.status < 200 ? NonInviteServerState.Proceeding : NonInviteServerState.Completed,
        );
        return sent;
      }
      default:
        // §17.2.2: further final responses from the TU are discarded in Completed.
        return Promise.resolve();
    }
  }

  receiveRequest(_request: SipRequest): void {
    switch (this.state_) {
      case NonInviteServerState.Trying:
        // §17.2.2: retransmissions in Trying are discarded.
        return;
      case NonInviteServerState.Proceeding:
      case NonInviteServerState.Completed:
        // §17.2.2: the last provisional / the final response is sent again.
        if (this.lastResponse_) void this.#send(this.lastResponse_);
        return;
      case NonInviteServerState.Terminated:
        return;
    }
  }

  terminate(): void {
    this.#transition(NonInviteServerState.Terminated);
  }

  endWait(): void {
    if (this.state_ === NonInviteServerState.Completed) this.#transition(NonInviteServerState.Terminated);
  }

  #send(response: SipResponse): Promise<void> {
    return this.transmit(response, () => this.#transition(NonInviteServerState.Terminated));
  }

  /** The one transition point: entry actions per Figure 8. */
  #transition(to: NonInviteServerState): void {
    const from = this.state_;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to)) {
      illegalTransition('non-INVITE server transaction', from, to, (err) => this.env.onError(err));
      return;
    }
    this.state_ = to;
    switch (to) {
      case NonInviteServerState.Completed:
        // §17.2.2: Timer J = 64*T1 unreliable, 0 reliable.
        if (this.timerValues.J === 0 || !this.lastResponse_)
          this.#transition(NonInviteServerState.Terminated);
        else this.linger(this.timerValues.J, { state: 'completed', response: this.lastResponse_ });
        return;
      case NonInviteServerState.Terminated:
        this.settleTerminated();
        return;
      case NonInviteServerState.Trying:
      case NonInviteServerState.Proceeding:
        return;
    }
  }
}
