// Test support for the proxy core: real UDP/TCP nodes on 127.0.0.1, a scriptable proxy with a tiny
// location service, and minimal UAs built directly on TransactionLayer (no dependency on protocol/sip/ua).
import { createRequest, newCallId, newTag } from '../../builders.js';
import type { SipMessage, SipRequest, SipResponse } from '../../message.js';
import { parseNameAddr } from '../../name-addr.js';
import { type ServerTransaction, TransactionLayer } from '../../transaction/index.js';
import {
  type MessageSource,
  type SendTarget,
  SipTransportLayer,
  type TransportKind,
} from '../../transport/index.js';
import { formatUri, isSipUri } from '../../uri.js';
import { defaultSendTarget } from '../next-hop.js';
import { StatefulProxy, type StatefulProxyOptions } from '../proxy-core.js';
import type { ProxyOutcome, ProxyTarget } from '../types.js';

export const T1 = 20;

export interface Node {
  transport: SipTransportLayer;
  layer: TransactionLayer;
  port(kind: TransportKind): number;
  close(): Promise<void>;
}

/** A node with T1 = `t1` (default the tests' short T1; T2 and T4 in proportion). */
export async function startNode(autoRespond487 = true, t1 = T1): Promise<Node> {
  const transport = await SipTransportLayer.listen({ udp: { port: 0 }, tcp: { port: 0 } });
  const layer = new TransactionLayer(transport, {
    timers: { t1, t2: 4 * t1, t4: 5 * t1 },
    autoRespond487,
  });
  return {
    transport,
    layer,
    port: (kind) => {
      const a = transport.addresses[kind];
      if (!a) throw new Error(`no ${kind} listener`);
      return a.port;
    },
    close: async () => {
      layer.close();
      await transport.close();
    },
  };
}

/** A value that arrives later: resolve() from an event, await `promise` in the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves with the first message `node` receives that satisfies `match`. */
export function nextMessage(
  node: Node,
  match: (m: SipMessage, source: MessageSource) => boolean,
): Promise<{ message: SipMessage; source: MessageSource }> {
  return new Promise((resolve) => {
    const listener = (message: SipMessage, source: MessageSource) => {
      if (!match(message, source)) return;
      node.transport.off('message', listener);
      resolve({ message, source });
    };
    node.transport.on('message', listener);
  });
}

export type Route = (
  request: SipRequest,
  tx: ServerTransaction,
  proxy: TestProxy,
) => ProxyTarget[] | undefined;

/** A proxy node: REGISTER is answered 200 and the flow remembered; in-dialog requests go by Route. */
export class TestProxy {
  readonly outcomes: Promise<ProxyOutcome>[] = [];
  /** user → where its REGISTER came from (a TCP flow: transport, remote address/port and flowId). */
  readonly registrations = new Map<string, SendTarget>();
  route: Route = () => undefined;
  readonly proxy: StatefulProxy;

  constructor(
    readonly node: Node,
    readonly recordRouteTransport: TransportKind | undefined,
    options: Partial<StatefulProxyOptions> = {},
  ) {
    this.proxy = new StatefulProxy({
      transactions: node.layer,
      transport: node.transport,
      // In-dialog requests to a registered user go over the flow it registered from (RFC 5626 §5.3).
      resolveNextHop: ({ uri }) => (uri.user ? this.registrations.get(uri.user) : undefined),
      ...options,
    }).attach();
    node.layer.onRequest((request, tx) => this.#onRequest(request, tx));
  }

  get recordRoute(): string | undefined {
    const kind = this.recordRouteTransport;
    return kind ? `sip:127.0.0.1:${this.node.port(kind)};transport=${kind};lr` : undefined;
  }

  /** The proxy's own address for a UA to send to. */
  target(kind: TransportKind): SendTarget {
    return { transport: kind, address: '127.0.0.1', port: this.node.port(kind) };
  }

  #onRequest(request: SipRequest, tx: ServerTransaction): void {
    if (request.method === 'REGISTER') {
      const user = request.to.uri;
      if (isSipUri(user) && user.user) {
        const src = tx.source;
        const next: SendTarget = { transport: src.transport, ...src.remote };
        if (src.flowId) next.flowId = src.flowId;
        this.registrations.set(user.user, next);
      }
      void tx.reply(200);
      return;
    }
    const options = this.recordRoute ? { recordRoute: this.recordRoute } : {};
    const inDialog = request.toTag !== undefined || request.has('route');
    const targets = inDialog ? [{}] : this.route(request, tx, this);
    if (!targets) {
      void tx.reply(404);
      return;
    }
    this.outcomes.push(this.proxy.forward(request, tx, targets, options));
  }

  async close(): Promise<void> {
    this.proxy.close();
    await this.node.close();
  }
}

export interface Call {
  invite: SipRequest;
  tx: ReturnType<TransactionLayer['sendRequest']>;
  provisional: SipResponse[];
  additional2xx: SipResponse[];
}

/** A minimal UA: scripted UAS for INVITE, 200 for BYE, records ACKs and CANCELs; a UAC for INVITE/ACK/BYE. */
export class MiniUa {
  readonly requests: Array<{ request: SipRequest; source: MessageSource }> = [];
  readonly acks: Array<{ request: SipRequest; source: MessageSource }> = [];
  readonly cancels: SipRequest[] = [];
  readonly #ackWaiters = new Set<() => void>();
  /** What to do with an incoming INVITE (default: 180, then 200). */
  onInvite: (request: SipRequest, tx: ServerTransaction, ua: MiniUa) => void = (_r, tx, ua) => {
    void tx.reply(180);
    void tx.reply(200, { headers: [['Contact', ua.contact('udp')]] });
  };
  readonly invited = deferred<{ request: SipRequest; tx: ServerTransaction }>();

  constructor(
    readonly node: Node,
    readonly user: string,
  ) {
    node.layer.onRequest((request, tx) => {
      this.requests.push({ request, source: tx.source });
      if (request.method === 'INVITE') {
        if (tx.kind === 'invite') tx.onCancel((cancel) => this.cancels.push(cancel));
        this.invited.resolve({ request, tx });
        this.onInvite(request, tx, this);
      } else {
        void tx.reply(200);
      }
    });
    node.layer.onAck((request, source) => {
      this.acks.push({ request, source });
      for (const w of this.#ackWaiters) w();
    });
  }

  contact(kind: TransportKind): string {
    return `<sip:${this.user}@127.0.0.1:${this.node.port(kind)};transport=${kind}>`;
  }

  /** Resolves when `count` ACKs (for 2xx) arrived. */
  acked(count = 1): Promise<void> {
    if (this.acks.length >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const w = () => {
        if (this.acks.length < count) return;
        this.#ackWaiters.delete(w);
        resolve();
      };
      this.#ackWaiters.add(w);
    });
  }

  /** REGISTER over `kind` to the proxy: with TCP this opens the flow the proxy will reuse. */
  async register(proxy: SendTarget): Promise<{ response: SipResponse; flowId: string | undefined }> {
    const request = createRequest({
      method: 'REGISTER',
      uri: 'sip:ims.lab',
      from: `<sip:${this.user}@ims.lab>;tag=${newTag()}`,
      to: `<sip:${this.user}@ims.lab>`,
      callId: newCallId(),
      cseq: 1,
      headers: [['Contact', this.contact(proxy.transport)]],
    });
    const tx = this.node.layer.sendRequest(request, proxy);
    const response = await tx.final;
    return { response, flowId: tx.flowId };
  }

  /** INVITE `to` through the proxy. */
  call(proxy: SendTarget, to: string, options: { maxForwards?: number } = {}): Call {
    const invite = createRequest({
      maxForwards: options.maxForwards ?? 70,
      method: 'INVITE',
      uri: to,
      from: `<sip:${this.user}@ims.lab>;tag=${newTag()}`,
      to: `<${to}>`,
      callId: newCallId(),
      cseq: 1,
      headers: [['Contact', this.contact(proxy.transport)]],
    });
    const provisional: SipResponse[] = [];
    const additional2xx: SipResponse[] = [];
    const tx = this.node.layer.sendRequest(invite, proxy, {
      onProvisional: (r) => provisional.push(r),
      onAdditional2xx: (r) => additional2xx.push(r),
    });
    const call: Call = { invite, tx, provisional, additional2xx };
    return call;
  }

  /** §13.2.2.4: the ACK for a 2xx, along the route set (Record-Route reversed, §12.1.2). */
  ack(call: Call, response: SipResponse): Promise<unknown> {
    const { request, target } = this.inDialog(call, response, 'ACK', call.invite.cseq.seq);
    return this.node.layer.sendStateless(request, target);
  }

  /** A BYE in the dialog established by `response` (§15.1.1). */
  bye(call: Call, response: SipResponse): Promise<SipResponse> {
    const { request, target } = this.inDialog(call, response, 'BYE', call.invite.cseq.seq + 1);
    return this.node.layer.sendRequest(request, target).final;
  }

  inDialog(
    call: Call,
    response: SipResponse,
    method: string,
    cseq: number,
  ): { request: SipRequest; target: SendTarget } {
    const remote = response.contacts[0];
    if (!remote) throw new Error('2xx without Contact');
    const routes = response.getAll('record-route').reverse();
    const request = createRequest({
      method,
      uri: formatUri(remote.uri),
      from: call.invite.get('from') ?? '',
      to: response.get('to') ?? '',
      callId: call.invite.callId,
      cseq,
      headers: routes.map((r): [string, string] => ['Route', r]),
    });
    const first = routes[0] !== undefined ? parseNameAddr(routes[0]).uri : remote.uri;
    const target = isSipUri(first) ? defaultSendTarget(first) : undefined;
    if (!target) throw new Error('no next hop');
    return { request, target };
  }
}
