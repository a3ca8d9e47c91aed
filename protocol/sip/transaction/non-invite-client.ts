// Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
import type { SipRequest, SipResponse } from '../message.js';
import type { TransportError } from '../transport/index.js';
import { ClientTransactionBase, type ClientTransactionEnv, localResponse } from './client-transaction.js';
import { TimerSet } from './timers.js';
import { illegalTransition } from './illegal-transition.js';

export enum NonInviteClientState {
  Trying = 'Trying',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  Terminated = 'Terminated',
}

const TRANSITIONS: Record<NonInviteClientState, readonly NonInviteClientState[]> = {
  [NonInviteClientState.Trying]: [
    NonInviteClientState.Proceeding,
    NonInviteClientState.Completed,
    NonInviteClientState.Terminated,
  ],
  [NonInviteClientState.Proceeding]: [NonInviteClientState.Completed, NonInviteClientState.Terminated],
  [NonInviteClientState.Completed]: [NonInviteClientState.Terminated],
  [NonInviteClientState.Terminated]: [],
};

type TimerName = 'E' | 'F';

export class NonInviteClientTransaction extends ClientTransactionBase<NonInviteClientState> {
  readonly kind = 'non-invite' as const;
  protected state_ = NonInviteClientState.Trying;
  readonly #timers = new TimerSet<TimerName>();

  constructor(request: SipRequest, branch: string, env: ClientTransactionEnv) {
    super(request, branch, env);
  }

  start(): void {
    this.#send();
    // §17.1.2.2: Timer E only on unreliable transports, Timer F always.
    if (!this.reliable) this.#startTimerE(this.timerValues.E);
    this.#timers.start('F', this.timerValues.F, () => this.#onTimerF());
  }

  receiveResponse(response: SipResponse): void {
    switch (this.state_) {
      case NonInviteClientState.Trying:
      case NonInviteClientState.Proceeding:
        if (response.status < 200) {
          this.#transition(NonInviteClientState.Proceeding);
          this.notifyProvisional(response);
        } else {
          this.settleFinal(response);
          this.#transition(NonInviteClientState.Completed);
        }
        return;
      case NonInviteClientState.Completed:
      case NonInviteClientState.Terminated:
        // §17.1.2.2: Completed buffers (absorbs) response retransmissions.
        return;
    }
  }

  receiveTransportError(error: TransportError): void {
    if (this.state_ === NonInviteClientState.Trying || this.state_ === NonInviteClientState.Proceeding) {
      this.transportError = error;
      this.settleFinal(localResponse(this.request, 'transport-error'));
    }
    this.#transition(NonInviteClientState.Terminated);
  }

  terminate(): void {
    this.settleFinal(localResponse(this.request, 'closed'));
    this.#transition(NonInviteClientState.Terminated);
  }

  endWait(): void {
    if (this.state_ === NonInviteClientState.Completed) this.#transition(NonInviteClientState.Terminated);
  }

  // §17.1.2.2: Timer E doubles up to T2 in Trying; in Proceeding it is reset to T2.
  #startTimerE(interval: number): void {
    this.#timers.start('E', interval, () => {
      if (this.state_ !== NonInviteClientState.Trying && this.state_ !== NonInviteClientState.Proceeding)
        return;
      this.#send();
      const next =
        this.state_ === NonInviteClientState.Trying
          ? Math.min(2 * interval, this.timerValues.T2)
          : this.timerValues.T2;
      this.#startTimerE(next);
    });
  }

  // §17.1.2.2: Timer F in Trying or Proceeding → timeout (408 to the TU, §8.1.3.1).
  #onTimerF(): void {
    if (this.state_ !== NonInviteClientState.Trying && this.state_ !== NonInviteClientState.Proceeding)
      return;
    this.settleFinal(localResponse(this.request, 'timeout'));
    this.#transition(NonInviteClientState.Terminated);
  }

  #send(): void {
    this.sendMessage(this.request, (error) => this.receiveTransportError(error));
  }

  /** The one transition point: entry actions per Figure 6. */
  #transition(to: NonInviteClientState): void {
    const from = this.state_;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to)) {
      illegalTransition('non-INVITE client transaction', from, to, (err) => this.env.onError(err));
      return;
    }
    this.state_ = to;
    switch (to) {
      case NonInviteClientState.Completed:
        this.#timers.clearAll();
        // §17.1.2.2: Timer K = T4 unreliable, 0 reliable.
        if (this.timerValues.K === 0) this.#transition(NonInviteClientState.Terminated);
        else this.linger(this.timerValues.K, { state: 'completed' });
        return;
      case NonInviteClientState.Terminated:
        this.#timers.clearAll();
        this.settleTerminated();
        return;
      case NonInviteClientState.Trying:
      case NonInviteClientState.Proceeding:
        return;
    }
  }
}
