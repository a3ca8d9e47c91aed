// INVITE client transaction (RFC 3261 §17.1.1, Figure 5) with the Accepted state of RFC 6026 §7.2.
import { SipRequest, type SipResponse } from '../message.js';
import type { TransportError } from '../transport/index.js';
import {
  ClientTransactionBase,
  type ClientTransactionEnv,
  type ResponseListener,
  localResponse,
} from './client-transaction.js';
import { TimerSet } from './timers.js';
import { illegalTransition } from './illegal-transition.js';

export enum InviteClientState {
  Calling = 'Calling',
  Proceeding = 'Proceeding',
  Completed = 'Completed',
  /** RFC 6026 §7.2: after a 2xx, further 2xx (forks) pass to the TU until Timer M fires. */
  Accepted = 'Accepted',
  Terminated = 'Terminated',
}

/** Allowed transitions (Figure 5 + RFC 6026 Figure 5). */
const TRANSITIONS: Record<InviteClientState, readonly InviteClientState[]> = {
  [InviteClientState.Calling]: [
    InviteClientState.Proceeding,
    InviteClientState.Completed,
    InviteClientState.Accepted,
    InviteClientState.Terminated,
  ],
  [InviteClientState.Proceeding]: [
    InviteClientState.Completed,
    InviteClientState.Accepted,
    InviteClientState.Terminated,
  ],
  [InviteClientState.Completed]: [InviteClientState.Terminated],
  [InviteClientState.Accepted]: [InviteClientState.Terminated],
  [InviteClientState.Terminated]: [],
};

type TimerName = 'A' | 'B' | 'cancel';

export class InviteClientTransaction extends ClientTransactionBase<InviteClientState> {
  readonly kind = 'invite' as const;
  protected state_ = InviteClientState.Calling;
  readonly #timers = new TimerSet<TimerName>();
  readonly #additional2xx = new Set<ResponseListener>();
  #ack: SipRequest | undefined;

  constructor(request: SipRequest, branch: string, env: ClientTransactionEnv) {
    super(request, branch, env);
  }

  /** RFC 6026 §7.2: 2xx responses after the first (forked INVITE), while in Accepted. */
  onAdditional2xx(listener: ResponseListener): this {
    this.#additional2xx.add(listener);
    return this;
  }

  /** The ACK sent for a non-2xx final response (§17.1.1.3), once there is one. */
  get ack(): SipRequest | undefined {
    return this.#ack;
  }

  start(): void {
    this.#send(this.request);
    // §17.1.1.2: Timer A only on unreliable transports, Timer B always.
    if (!this.reliable) this.#startTimerA(this.timerValues.A);
    this.#timers.start('B', this.timerValues.B, () => this.#onTimerB());
  }

  receiveResponse(response: SipResponse): void {
    const status = response.status;
    switch (this.state_) {
      case InviteClientState.Calling:
      case InviteClientState.Proceeding:
        if (status < 200) {
          this.#transition(InviteClientState.Proceeding);
          this.notifyProvisional(response);
        } else if (status < 300) {
          // §17.1.1.2 (RFC 6026 §7.2): 2xx goes to the TU, the transaction enters Accepted.
          this.settleFinal(response);
          this.#transition(InviteClientState.Accepted);
        } else {
          // §17.1.1.2: 300-699 → ACK, pass up, Completed.
          this.#ack = buildAckForNon2xx(this.request, response);
          this.#send(this.#ack, true);
          this.settleFinal(response);
          this.#transition(InviteClientState.Completed);
        }
        return;
      case InviteClientState.Completed:
        // §17.1.1.2: retransmitted final responses get the ACK again and are not passed up.
        if (status >= 300 && this.#ack) this.#send(this.#ack, true);
        return;
      case InviteClientState.Accepted:
        // RFC 6026 §7.2: further 2xx go to the TU; anything else is discarded.
        if (status >= 200 && status < 300) {
          for (const listener of this.#additional2xx) this.callListener(listener, response);
        }
        return;
      case InviteClientState.Terminated:
        return;
    }
  }

  receiveTransportError(error: TransportError): void {
    if (this.state_ === InviteClientState.Calling || this.state_ === InviteClientState.Proceeding) {
      this.transportError = error;
      this.settleFinal(localResponse(this.request, 'transport-error'));
    }
    this.#transition(InviteClientState.Terminated);
  }

  terminate(): void {
    this.settleFinal(localResponse(this.request, 'closed'));
    this.#transition(InviteClientState.Terminated);
  }

  endWait(): void {
    if (this.state_ === InviteClientState.Completed || this.state_ === InviteClientState.Accepted)
      this.#transition(InviteClientState.Terminated);
  }

  /**
   * §9.1: once a CANCEL is sent, the INVITE transaction is given up (408 to the TU) if no final
   * response arrives within 64*T1.
   */
  armCancelTimeout(): void {
    if (this.state_ !== InviteClientState.Calling && this.state_ !== InviteClientState.Proceeding) return;
    this.#timers.start('cancel', 64 * this.env.timers.t1, () => {
      if (this.state_ === InviteClientState.Calling || this.state_ === InviteClientState.Proceeding) {
        this.settleFinal(localResponse(this.request, 'timeout'));
        this.#transition(InviteClientState.Terminated);
      }
    });
  }

  // §17.1.1.2: Timer A fires → retransmit, double the interval (no cap for INVITE).
  #startTimerA(interval: number): void {
    this.#timers.start('A', interval, () => {
      if (this.state_ !== InviteClientState.Calling) return;
      this.#send(this.request);
      this.#startTimerA(interval * 2);
    });
  }

  // §17.1.1.2: Timer B in Calling → timeout reported to the TU (408, §8.1.3.1).
  #onTimerB(): void {
    if (this.state_ !== InviteClientState.Calling) return;
    this.settleFinal(localResponse(this.request, 'timeout'));
    this.#transition(InviteClientState.Terminated);
  }

  #send(message: SipRequest, isAck = false): void {
    this.sendMessage(message, (error) => {
      // An ACK that cannot be sent ends the Completed state early; a request failure is fatal (§17.1.1.2).
      if (isAck) this.#transition(InviteClientState.Terminated);
      else this.receiveTransportError(error);
    });
  }

  /** The one transition point: exit/entry actions per Figure 5. */
  #transition(to: InviteClientState): void {
    const from = this.state_;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to)) {
      illegalTransition('INVITE client transaction', from, to, (err) => this.env.onError(err));
      return;
    }
    this.state_ = to;
    switch (to) {
      case InviteClientState.Proceeding:
        // Timer B applies only in Calling; retransmissions stop on a provisional response.
        this.#timers.clear('A');
        this.#timers.clear('B');
        return;
      case InviteClientState.Completed:
        this.#timers.clearAll();
        // §17.1.1.2: Timer D (≥32 s unreliable, 0 reliable) absorbs retransmitted final responses.
        if (this.timerValues.D === 0 || !this.#ack) this.#transition(InviteClientState.Terminated);
        else
          this.linger(this.timerValues.D, { state: 'completed-invite', ack: this.#ack, target: this.target });
        return;
      case InviteClientState.Accepted:
        this.#timers.clearAll();
        // RFC 6026 §7.2: Timer M = 64*T1.
        this.linger(this.timerValues.M, { state: 'accepted', additional2xx: this.#additional2xx });
        return;
      case InviteClientState.Terminated:
        this.#timers.clearAll();
        this.settleTerminated();
        return;
      case InviteClientState.Calling:
        return;
    }
  }
}

/**
 * §17.1.1.3: the ACK for a non-2xx final response: Request-URI, Call-ID, From and CSeq number of the
 * INVITE, To of the response, only the INVITE's top Via, its Route headers, method ACK.
 */
export function buildAckForNon2xx(invite: SipRequest, response: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.uri);
  const topVia = invite.getAll('via')[0];
  if (topVia !== undefined) ack.append('Via', topVia);
  ack.append('Max-Forwards', 70);
  for (const route of invite.fields('route')) ack.append('Route', route.value);
  ack.append('From', invite.get('from') ?? '');
  ack.append('To', response.get('to') ?? invite.get('to') ?? '');
  ack.append('Call-ID', invite.get('call-id') ?? '');
  ack.append('CSeq', `${invite.cseq.seq} ACK`);
  return ack;
}
