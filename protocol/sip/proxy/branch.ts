// One branch of a proxied request (RFC 3261 §16.6 step 10–11, §16.7, §16.8): its client transaction,
// Timer C, the CANCEL of §16.10 and the local failures that count as responses.
import type { SipRequest, SipResponse } from '../message.js';
import { type ClientTransaction, localFailureOf, type TransactionLayer } from '../transaction/index.js';
import type { SendTarget, TransportError } from '../transport/index.js';
import { popOwnVia } from './request-processing.js';
import {
  type BranchFailure,
  BranchState,
  type BranchSummary,
  type FailureStatus,
  type ProxyTarget,
} from './types.js';

export interface BranchEnv {
  transactions: TransactionLayer;
  /** Timer C in ms for INVITE (§16.6 step 11); 0 disables it. */
  timerC: number;
  failureStatus: FailureStatus;
  /** A response the proxy itself sends upstream for this request (to a locally failed branch). */
  localResponse(status: number): SipResponse;
  /** 101–199 from downstream, our Via popped (§16.7 steps 3, 5). */
  onProvisional(branch: ProxyBranch, response: SipResponse): void;
  /** The branch completed: a received final (Via popped) or a local one (§16.7 step 4, §16.8). */
  onFinal(branch: ProxyBranch, response: SipResponse): void;
  /** A 2xx after the branch completed locally (Timer C, §16.7 step 5). */
  onLate2xx(branch: ProxyBranch, response: SipResponse): void;
  /**
   * RFC 6026 §7.2: a further 2xx while the branch's transaction is Accepted (a fork), as received (our Via on
   * top). The transaction keeps this listener for 64*T1: one function shared by every branch, holding nothing
   * of this one (the proxy forwards such a 2xx statelessly, §16.7 step 5).
   */
  onAdditional2xx(response: SipResponse): void;
}

const TRANSITIONS: Record<BranchState, readonly BranchState[]> = {
  [BranchState.Trying]: [BranchState.Proceeding, BranchState.Completed],
  [BranchState.Proceeding]: [BranchState.Completed],
  [BranchState.Completed]: [],
};

export class ProxyBranch {
  readonly target: ProxyTarget;
  /** The forwarded request (our Via on top). */
  readonly request: SipRequest;
  readonly sendTarget: SendTarget | undefined;
  /** The branch parameter of our Via (RFC 3261 §16.6 step 8), if it has one. */
  readonly id: string | undefined;
  response: SipResponse | undefined;
  failure: BranchFailure | undefined;
  transportError: TransportError | undefined;
  #state = BranchState.Trying;
  #tx: ClientTransaction | undefined;
  #cancelHeaders: Array<[string, string]> | undefined;
  #timerC: ReturnType<typeof setTimeout> | undefined;
  readonly #env: BranchEnv;

  constructor(
    target: ProxyTarget,
    request: SipRequest,
    sendTarget: SendTarget | undefined,
    id: string | undefined,
    env: BranchEnv,
  ) {
    this.id = id;
    this.target = target;
    this.request = request;
    this.sendTarget = sendTarget;
    this.#env = env;
  }

  get state(): BranchState {
    return this.#state;
  }

  get pending(): boolean {
    return this.#state !== BranchState.Completed;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** §16.6 step 10–11: send in a new client transaction and start Timer C. */
  start(): void {
    if (!this.sendTarget) {
      this.#failLocally('no-route');
      return;
    }
    let tx: ClientTransaction;
    try {
      tx = this.#env.transactions.sendRequest(this.request, this.sendTarget, {
        onProvisional: (r) => this.#onProvisional(r),
        onAdditional2xx: this.#env.onAdditional2xx,
      });
    } catch {
      this.#failLocally('closed'); // the layer is closed: nothing can be sent
      return;
    }
    this.#tx = tx;
    this.#armTimerC();
    void tx.final.then((r) => this.#onFinal(r));
  }

  /**
   * §16.10, §16.7 step 10: CANCEL the branch if it is an INVITE still pending. The transaction layer
   * waits for a provisional response before sending it (§9.1); the 487 then completes the branch.
   */
  cancel(headers: Array<[string, string]> = []): void {
    if (!this.isInvite || !this.pending || this.#cancelHeaders !== undefined) return;
    this.#cancelHeaders = headers;
    this.#clearTimerC();
    const tx = this.#tx;
    if (!tx) return;
    this.#env.transactions.cancel(tx, { headers }).catch(() => {
      // a CANCEL that cannot be sent changes nothing: the INVITE's own final response (or timeout) follows
    });
  }

  /** Forget timers (proxy shutdown). */
  stop(): void {
    this.#clearTimerC();
  }

  summary(): BranchSummary {
    const s: BranchSummary = {
      target: this.target,
      state: this.#state,
      cancelled: this.#cancelHeaders !== undefined,
    };
    if (this.response) s.response = this.response;
    if (this.failure) s.failure = this.failure;
    if (this.transportError) s.transportError = this.transportError;
    return s;
  }

  #onProvisional(response: SipResponse): void {
    if (this.#state === BranchState.Completed) return; // failed locally (Timer C): ignore
    this.#transition(BranchState.Proceeding);
    if (response.status === 100) return; // §16.7 step 5: 100 is not forwarded
    this.#armTimerC(); // §16.7 step 2: a provisional other than 100 resets Timer C
    this.#env.onProvisional(this, upstreamCopy(response));
  }

  #onFinal(response: SipResponse): void {
    this.#clearTimerC();
    if (this.#state === BranchState.Completed) {
      // Completed locally by Timer C: only a 2xx still matters (§16.7 step 5).
      if (response.status >= 200 && response.status < 300) this.#env.onLate2xx(this, upstreamCopy(response));
      return;
    }
    const local = localFailureOf(response);
    if (local) {
      this.transportError = this.#tx?.transportError;
      this.#failLocally(local);
      return;
    }
    this.response = upstreamCopy(response);
    this.#transition(BranchState.Completed);
    this.#env.onFinal(this, this.response);
  }

  /** §16.7 / §16.8: a timeout or transport error counts as a response generated by the proxy. */
  #failLocally(failure: BranchFailure): void {
    if (this.#state === BranchState.Completed) return;
    this.#clearTimerC();
    this.failure = failure;
    const info = this.transportError
      ? { failure, target: this.target, error: this.transportError }
      : { failure, target: this.target };
    this.response = this.#env.localResponse(this.#env.failureStatus(info));
    this.#transition(BranchState.Completed);
    this.#env.onFinal(this, this.response);
  }

  // §16.6 step 11 / §16.8: Timer C fires → CANCEL if a provisional came, else behave as if 408 arrived.
  #armTimerC(): void {
    if (!this.isInvite || this.#env.timerC <= 0 || this.#cancelHeaders !== undefined) return;
    this.#clearTimerC();
    this.#timerC = setTimeout(() => {
      this.#timerC = undefined;
      if (this.#state === BranchState.Proceeding) this.cancel([['Reason', 'SIP;cause=408;text="Timer C"']]);
      else if (this.#state === BranchState.Trying) this.#failLocally('timer-c');
    }, this.#env.timerC);
  }

  #clearTimerC(): void {
    if (this.#timerC !== undefined) clearTimeout(this.#timerC);
    this.#timerC = undefined;
  }

  /** The one transition point (Trying → Proceeding → Completed). */
  #transition(to: BranchState): void {
    if (this.#state === to || !TRANSITIONS[this.#state].includes(to)) return;
    this.#state = to;
    if (to === BranchState.Completed) this.#clearTimerC();
  }
}

/** §16.7 step 3: a copy of a downstream response with our Via removed. */
function upstreamCopy(response: SipResponse): SipResponse {
  const copy = response.clone();
  popOwnVia(copy);
  return copy;
}
