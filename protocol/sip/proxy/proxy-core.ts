// The stateful proxy core (RFC 3261 §16): the owner (a CSCF) decides the targets; the core validates,
// forwards to every target in parallel, processes responses (§16.7), propagates CANCEL (§16.10) and
// forwards ACKs for 2xx and stray responses statelessly (§16.11).
import type { SipRequest, SipResponse } from '../message.js';
import { ExpiryQueue, type ServerTransaction, type TransactionLayer } from '../transaction/index.js';
import {
  DEFAULT_SIP_PORT,
  hostForVia,
  type MessageSource,
  normalizeAddress,
  type SendTarget,
  type SipTransport,
  udpResponseDestination,
} from '../transport/index.js';
import { ownedString } from '../owned-string.js';
import { isSipUri, type Uri } from '../uri.js';
import { viaBranch } from '../via.js';
import { ProxyBranch } from './branch.js';
import { isLoop, loopDetectingBranch, statelessBranch } from './loop-detection.js';
import { type NextHopResolver, resolveNextHop } from './next-hop.js';
import { ProxyContext } from './proxy-context.js';
import { popOwnVia, prepareForward, preprocessRoute, validateProxiedRequest } from './request-processing.js';
import { defaultFailureStatus, type FailureStatus, type ProxyOutcome, type ProxyTarget } from './types.js';

export interface StatefulProxyOptions {
  /** The transaction layer requests arrive on; create it with `autoRespond487: false` (§16.10). */
  transactions: TransactionLayer;
  /** The transport under it (our Via sent-by, stateless sends). */
  transport: SipTransport;
  /** Whether a URI designates this proxy (§16.4); default: one of our listeners' sent-by host:port. */
  isOwnUri?: (uri: Uri) => boolean;
  /** Maps next hops (Route / Request-URI) to transport targets, e.g. to a registered flow. */
  resolveNextHop?: NextHopResolver;
  /** Timer C for INVITE branches in ms (§16.6 step 11: more than 3 minutes); 0 disables. Default 181 000. */
  timerC?: number;
  /** The status a locally failed branch counts as (default: timeout 408, transport error 503). */
  failureStatus?: FailureStatus;
}

export interface ProxyForwardOptions {
  /**
   * Record-Route URIs (each with `;lr`) to add (§16.6 step 4): one, or two for RFC 5658 double
   * record-routing (first = top), or a function of the target and its next hop.
   */
  recordRoute?:
    | string
    | string[]
    | ((target: ProxyTarget, next: SendTarget | undefined) => string | string[] | undefined);
}

const DEFAULT_TIMER_C = 181_000;

export class StatefulProxy {
  readonly #transactions: TransactionLayer;
  readonly #transport: SipTransport;
  readonly #isOwnUri: (uri: Uri) => boolean;
  readonly #resolver: NextHopResolver | undefined;
  readonly #timerC: number;
  readonly #failureStatus: FailureStatus;
  readonly #contexts = new Set<ProxyContext>();
  /** Our branch → where the request came from, for stray responses (§16.7: kept a while after the end). */
  readonly #upstream = new Map<string, MessageSource>();
  /** The branches of finished contexts, forgotten in #upstream 64*T1 later. */
  readonly #lingers: ExpiryQueue<string>;

  constructor(options: StatefulProxyOptions) {
    this.#transactions = options.transactions;
    this.#transport = options.transport;
    this.#isOwnUri = options.isOwnUri ?? ((uri) => isSipUri(uri) && this.isOwnSentBy(uri.host, uri.port));
    this.#resolver = options.resolveNextHop;
    this.#timerC = options.timerC ?? DEFAULT_TIMER_C;
    this.#failureStatus = options.failureStatus ?? defaultFailureStatus;
    this.#lingers = new ExpiryQueue(
      64 * this.#transactions.timers.t1,
      (branch) => this.#upstream.delete(branch),
      { unref: true },
    );
  }

  /** Install the stateless paths on the transaction layer: stray responses and ACKs for 2xx (§16.11). */
  attach(): this {
    this.#transactions.onStrayResponse(
      (response, source) => void this.forwardStrayResponse(response, source),
    );
    this.#transactions.onAck((ack, source, matched) => {
      if (!matched) void this.forwardAck(ack, source);
    });
    return this;
  }

  /** Whether a Via sent-by names one of our listeners (§16.3 step 4, §16.7 step 3). */
  isOwnSentBy(host: string, port: number | undefined): boolean {
    const address = normalizeAddress(host);
    const p = port ?? DEFAULT_SIP_PORT;
    for (const kind of ['udp', 'tcp'] as const) {
      const own = this.#transport.sentBy(kind);
      if (own && normalizeAddress(own.address) === address && own.port === p) return true;
    }
    return false;
  }

  /** Live response contexts (diagnostics, tests). */
  get activeContexts(): number {
    return this.#contexts.size;
  }

  /**
   * Proxy `request` (received in `server`) to `targets` in parallel (§16.5–§16.7). Validates first
   * (§16.3: 416, 400, 483; 482 on a loop), strips our own Route entries (§16.4), adds Record-Route and
   * Via, forwards provisionals and every 2xx upstream at once, and the best non-2xx when all branches
   * ended. A CANCEL from upstream cancels every branch (§16.10). No targets → 480. Never rejects.
   */
  forward(
    request: SipRequest,
    server: ServerTransaction,
    targets: ProxyTarget[],
    options: ProxyForwardOptions = {},
  ): Promise<ProxyOutcome> {
    const context = new ProxyContext(server, {
      sendStateless: (response, tx) => this.#sendResponseStateless(response, tx.source),
      onFinished: (ctx) => this.#finished(ctx),
    });
    this.#contexts.add(context);
    try {
      this.#start(context, request, server, targets, options);
    } catch {
      // A header we cannot read on the way (e.g. a malformed Route): the request cannot be proxied.
      context.answerLocally(400);
    }
    return context.outcome;
  }

  /** In-dialog and pre-routed requests: forward to the top Route or the Request-URI (§16.4, §16.6 step 7). */
  forwardByRoute(
    request: SipRequest,
    server: ServerTransaction,
    options: ProxyForwardOptions = {},
  ): Promise<ProxyOutcome> {
    return this.forward(request, server, [{}], options);
  }

  /**
   * §16.11 / §16.7: forward an ACK for a 2xx (it has no transaction) along its Route, statelessly, with a
   * branch derived from the received one. Resolves false when it was dropped (Max-Forwards 0, no route,
   * transport failure).
   */
  async forwardAck(ack: SipRequest, source?: MessageSource): Promise<boolean> {
    try {
      if (validateProxiedRequest(ack)) return false; // §16.3: nothing to answer for an ACK; drop it
      const routed = ack.clone();
      const removed = preprocessRoute(routed, this.#isOwnUri);
      const next = resolveNextHop(routed, removed, this.#resolver, source);
      if (!next) return false;
      const out = prepareForward(routed, { via: this.#viaFor(next), branch: statelessBranch(ack) });
      await this.#transactions.sendStateless(out, next);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * §16.7 (no matching client transaction) / §16.11: a response whose top Via is ours is forwarded
   * statelessly to the next Via: over the connection its request came in on while we remember it, else
   * per RFC 3261 §18.2.2 from that Via. Resolves false when dropped.
   */
  async forwardStrayResponse(response: SipResponse, _source?: MessageSource): Promise<boolean> {
    try {
      const top = response.topVia;
      if (!this.isOwnSentBy(top.host, top.port)) return false; // §18.1.2: not ours
      const branch = viaBranch(top);
      const copy = response.clone();
      popOwnVia(copy); // §16.7 step 3
      if (copy.getAll('via').length === 0) return false; // it was for us as a UAC
      const upstream = (branch && this.#upstream.get(branch)) || sourceFromVia(copy);
      if (!upstream) return false;
      await this.#transport.sendResponse(copy, upstream);
      return true;
    } catch {
      return false;
    }
  }

  /** Stop Timer C and forget stray-response state (the transaction layer is the owner's to close). */
  close(): void {
    for (const context of this.#contexts) for (const branch of context.branches) branch.stop();
    this.#contexts.clear();
    this.#lingers.clear();
    this.#upstream.clear();
  }

  #start(
    context: ProxyContext,
    request: SipRequest,
    server: ServerTransaction,
    targets: ProxyTarget[],
    options: ProxyForwardOptions,
  ): void {
    const invalid = validateProxiedRequest(request); // §16.3 steps 1–3
    if (invalid) {
      context.answerLocally(invalid.status, invalid.reason);
      return;
    }
    if (isLoop(request, (h, p) => this.isOwnSentBy(h, p))) {
      context.answerLocally(482); // §16.3 step 4
      return;
    }
    if (server.kind === 'invite') {
      if (server.cancelled) {
        context.answerLocally(487); // §16.10: cancelled before we had targets
        return;
      }
      server.onCancel((cancel) => context.cancelAll(reasonOf(cancel))); // §16.10
    }
    const routed = request.clone();
    const removed = preprocessRoute(routed, this.#isOwnUri); // §16.4
    const branches = targets.map((target) =>
      this.#branch(context, request, routed, removed, target, options),
    );
    context.start(branches);
  }

  #branch(
    context: ProxyContext,
    original: SipRequest,
    routed: SipRequest,
    removed: Uri[],
    target: ProxyTarget,
    options: ProxyForwardOptions,
  ): ProxyBranch {
    const retargeted = routed.clone();
    if (target.uri !== undefined) retargeted.uri = target.uri; // §16.6 step 2
    const next = target.next ?? resolveNextHop(retargeted, removed, this.#resolver, context.server.source);
    const via = this.#viaFor(next);
    // §16.6 steps 1–3 and 8 (branch with the loop-detection hash of the request as received)
    const out = prepareForward(retargeted, { via, branch: loopDetectingBranch(original) });
    for (const uri of recordRoutes(options.recordRoute, target, next).reverse())
      out.prepend('Record-Route', `<${uri}>`); // step 4
    const branch = viaBranch(out.topVia);
    const branchId = branch === undefined ? undefined : ownedString(branch); // kept 64*T1 after the end
    // Over UDP a response goes where its Via says whatever the source (§18.2.2): only TCP needs remembering.
    if (branchId && context.server.source.transport === 'tcp')
      this.#upstream.set(branchId, context.server.source);
    return new ProxyBranch(target, out, next, branchId, {
      transactions: this.#transactions,
      timerC: this.#timerC,
      failureStatus: this.#failureStatus,
      localResponse: (status) => context.respondLocally(status),
      onProvisional: (b, r) => context.provisional(b, r),
      onFinal: (b, r) => context.final(b, r),
      onLate2xx: (_b, r) => context.forward2xx(r),
      onAdditional2xx: this.#forwardAdditional2xx,
    });
  }

  /**
   * RFC 6026 §7.2, §16.7 step 5: a fork's further 2xx goes upstream at once, statelessly: the context is
   * Accepted by then (the branch's first 2xx made it so), where its server transaction would only send it to
   * the same place (UDP: per the next Via, §18.2.2; TCP: the connection remembered for the branch). One
   * function for every branch, so that the 64*T1 a branch's transaction waits in Accepted costs no closure.
   */
  readonly #forwardAdditional2xx = (response: SipResponse): void => {
    void this.forwardStrayResponse(response);
  };

  /** §16.6 step 8: our Via for the transport the branch uses. */
  #viaFor(next: SendTarget | undefined): { transport: string; host: string; port: number } {
    const kind = next?.transport ?? 'udp';
    const sentBy = this.#transport.sentBy(kind) ?? this.#transport.sentBy(kind === 'udp' ? 'tcp' : 'udp');
    const host = sentBy ? hostForVia(sentBy.address) : 'cpm-lab.invalid';
    return { transport: kind, host, port: sentBy?.port ?? DEFAULT_SIP_PORT };
  }

  #sendResponseStateless(response: SipResponse, source: MessageSource): void {
    this.#transport.sendResponse(response, source).catch(() => {
      // §16.11: a stateless forward that fails is simply lost
    });
  }

  /** Every branch ended: forget the context; keep the branch → upstream map a while for stray 2xx. */
  #finished(context: ProxyContext): void {
    this.#contexts.delete(context);
    for (const branch of context.branches)
      if (branch.id && this.#upstream.has(branch.id)) this.#lingers.add(branch.id);
  }
}

function recordRoutes(
  option: ProxyForwardOptions['recordRoute'],
  target: ProxyTarget,
  next: SendTarget | undefined,
): string[] {
  const value = typeof option === 'function' ? option(target, next) : option;
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}

/** RFC 3326: the upstream CANCEL's Reason travels with the CANCELs we send downstream. */
function reasonOf(cancel: SipRequest): Array<[string, string]> {
  return cancel.getAll('reason').map((value) => ['Reason', value] as [string, string]);
}

/** RFC 3261 §18.2.2 from the response's (new) top Via, for a stray response we have no record of. */
function sourceFromVia(response: SipResponse): MessageSource | undefined {
  const via = response.topVia;
  const transport = via.transport.toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') return undefined;
  return { transport, local: { address: '', port: 0 }, remote: udpResponseDestination(via) };
}
