// The response context of one proxied request (RFC 3261 §16.7): collects the branches' responses, forwards
// provisionals and every 2xx at once, holds non-2xx finals until all branches ended, then sends the best.
import { createResponse } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { InviteServerState, NonInviteServerState, type ServerTransaction } from '../transaction/index.js';
import type { ProxyBranch } from './branch.js';
import { selectFinalResponse } from './response-context.js';
import type { BranchSummary, ProxyOutcome } from './types.js';

export enum ContextState {
  /** No final response went upstream yet. */
  Proceeding = 'Proceeding',
  /** A 2xx went upstream; later 2xx still follow it (§16.7 step 5), non-2xx are absorbed. */
  Accepted = 'Accepted',
  /** The best non-2xx went upstream (§16.7 step 6). */
  Completed = 'Completed',
}

const TRANSITIONS: Record<ContextState, readonly ContextState[]> = {
  [ContextState.Proceeding]: [ContextState.Accepted, ContextState.Completed],
  [ContextState.Accepted]: [],
  [ContextState.Completed]: [],
};

/** RFC 3326: why the proxy cancels the other branches after a 2xx. */
const COMPLETED_ELSEWHERE: [string, string] = ['Reason', 'SIP;cause=200;text="Call completed elsewhere"'];

export interface ContextEnv {
  /** Send a response upstream outside the server transaction (2xx after it ended, §16.7 step 5). */
  sendStateless(response: SipResponse, server: ServerTransaction): void;
  /** Every branch completed. */
  onFinished(context: ProxyContext): void;
}

export class ProxyContext {
  readonly server: ServerTransaction;
  readonly branches: ProxyBranch[] = [];
  readonly outcome: Promise<ProxyOutcome>;
  #state = ContextState.Proceeding;
  #cancelled = false;
  #resolveOutcome!: (outcome: ProxyOutcome) => void;
  #resolveFinished!: (branches: BranchSummary[]) => void;
  readonly #finished: Promise<BranchSummary[]>;
  readonly #env: ContextEnv;

  constructor(server: ServerTransaction, env: ContextEnv) {
    this.server = server;
    this.#env = env;
    this.outcome = new Promise((resolve) => {
      this.#resolveOutcome = resolve;
    });
    this.#finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  get state(): ContextState {
    return this.#state;
  }

  get request(): SipRequest {
    return this.server.request;
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Start every branch (parallel forking, §16.6 step 10); no branch at all is answered 480. */
  start(branches: ProxyBranch[]): void {
    this.branches.push(...branches);
    if (branches.length === 0) {
      this.#complete(this.respondLocally(480));
      return;
    }
    for (const branch of branches) branch.start();
  }

  /** A response of the proxy's own to this request (To tag of the server transaction, §8.2.6.2). */
  respondLocally(status: number): SipResponse {
    return createResponse(this.server.request, status, undefined, this.server.toTag);
  }

  /** §16.10: a CANCEL for the request: cancel every pending branch (their 487s end the context). */
  cancelAll(headers: Array<[string, string]> = []): void {
    this.#cancelled = true;
    for (const branch of this.branches) branch.cancel(headers);
  }

  /** §16.7 step 5: a provisional (not 100) goes upstream at once while no final did. */
  provisional(_branch: ProxyBranch, response: SipResponse): void {
    if (this.#state === ContextState.Proceeding) void this.server.respond(response);
  }

  /** §16.7 steps 4–10 for a branch's final response (received or local). */
  final(branch: ProxyBranch, response: SipResponse): void {
    const status = response.status;
    if (status >= 200 && status < 300) {
      this.forward2xx(response);
      this.#transition(ContextState.Accepted, response);
    } else if (status >= 600 && this.#state === ContextState.Proceeding) {
      // §16.7 step 10: a 6xx SHOULD cancel the other pending branches.
      for (const other of this.branches) if (other !== branch) other.cancel([reasonFor(response)]);
    }
    this.#checkAllCompleted();
  }

  /**
   * §16.7 step 5 (RFC 6026 §7.2): every 2xx to INVITE goes upstream, through the server transaction while
   * it can, else statelessly. (To a non-INVITE only the first final response goes, see final().)
   */
  forward2xx(response: SipResponse): void {
    if (this.request.method !== 'INVITE' && this.#state !== ContextState.Proceeding) return;
    if (canCarry2xx(this.server)) void this.server.respond(response);
    else this.#env.sendStateless(response, this.server);
  }

  summaries(): BranchSummary[] {
    return this.branches.map((b) => b.summary());
  }

  /** Settle without branches: the proxy answered the request itself (validation failure, loop, 480). */
  answerLocally(status: number, reason?: string): void {
    const response = this.respondLocally(status);
    if (reason) response.reason = reason;
    this.#complete(response);
  }

  #checkAllCompleted(): void {
    if (this.branches.some((b) => b.pending)) return;
    if (this.#state === ContextState.Proceeding) {
      const best = selectFinalResponse(this.branches.map((b) => b.response).filter(isDefined));
      this.#transition(ContextState.Completed, best ?? this.respondLocally(500));
    }
    this.#resolveFinished(this.summaries());
    this.#env.onFinished(this);
  }

  /** Answer upstream with a final non-2xx when the context has no branches (never waits). */
  #complete(response: SipResponse): void {
    this.#transition(ContextState.Completed, response);
    this.#resolveFinished(this.summaries());
    this.#env.onFinished(this);
  }

  /** The one transition point: entry actions send the final upstream and settle the outcome. */
  #transition(to: ContextState, response: SipResponse): void {
    if (!TRANSITIONS[this.#state].includes(to)) return;
    this.#state = to;
    switch (to) {
      case ContextState.Accepted:
        // §16.7 step 10: after forwarding a final response, CANCEL every pending branch.
        for (const branch of this.branches) branch.cancel([COMPLETED_ELSEWHERE]);
        break;
      case ContextState.Completed:
        void this.server.respond(response);
        break;
      case ContextState.Proceeding:
        return;
    }
    this.#resolveOutcome({
      response,
      branches: this.summaries(),
      cancelled: this.#cancelled,
      finished: this.#finished,
    });
  }
}

function canCarry2xx(tx: ServerTransaction): boolean {
  if (tx.kind === 'invite')
    return tx.state === InviteServerState.Proceeding || tx.state === InviteServerState.Accepted;
  return tx.state === NonInviteServerState.Trying || tx.state === NonInviteServerState.Proceeding;
}

function reasonFor(response: SipResponse): [string, string] {
  return ['Reason', `SIP;cause=${response.status};text="${response.reason.replace(/["\\]/g, '')}"`];
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
