// The SIP user agent core (RFC 3261 §8, §12–§15; RFC 3428; RFC 6665) on the transaction layer: request
// handlers by method (drachtio-style `ua.on('INVITE', (req, res) => ...)`), promise-returning UAC calls,
// the dialog table that routes in-dialog requests (481/500, §12.2.2), ACKs for 2xx and 2xx retransmissions.
import { dialogIdOfRequest, dialogKey } from '../dialog/index.js';
import { createRequest, newCallId, newTag } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { isSipUri, parseUri } from '../uri.js';
import { type ServerTransaction, type TimerSettings, TransactionLayer } from '../transaction/index.js';
import {
  type MessageSource,
  type SendTarget,
  SipTransportLayer,
  type SipTransport,
  type TransportKind,
  type TransportLayerOptions,
  hostForVia,
} from '../transport/index.js';
import { type DialogPath, type DialogUsage, type OutOfDialogOptions, type UaCore, bodyOf } from './core.js';
import { SipRequestError, UaError } from './errors.js';
import { type InviteOptions, OutgoingInvite } from './invite-client.js';
import { InviteServerResponse } from './invite-server.js';
import { type RegisterOptions, Registration } from './registration.js';
import { ServerResponse } from './server-response.js';
import {
  SubscribeServerResponse,
  type SubscribeOptions,
  type Subscription,
  pendingKey,
  subscribe,
} from './subscription.js';
import { type HopTarget, firstHopUri, resolveNextHop, targetOfUri } from './target.js';
import { type Credentials, sendWithDigest } from './uac-request.js';

/** A request handler: `res` is the response API for the method (INVITE and SUBSCRIBE get richer ones). */
export type UaRequestHandler<R extends ServerResponse = ServerResponse> = (
  req: SipRequest,
  res: R,
) => void | Promise<void>;

export interface UserAgentOptions {
  /** The transport to work on (SipTransportLayer, or any SipTransport). */
  transport: SipTransport;
  /** Transaction timers (T1, T2, T4); ignored when `layer` is given. */
  timers?: Partial<TimerSettings>;
  /** An existing transaction layer to use; by default the UA creates one on `transport`. */
  layer?: TransactionLayer;
  /**
   * Whether the UA installs itself as the layer's onRequest/onAck/onStrayResponse/onError handlers
   * (default true). With false, feed it through handleRequest/handleAck/handleStrayResponse.
   */
  attach?: boolean;
  /** This UA's identity (From of its requests): `sip:alice@ims.lab`. Default `sip:ua@<local address>`. */
  aor?: string;
  displayName?: string;
  /** Contact URI to advertise instead of the one derived from the transport's sent-by. */
  contact?: string;
  /** Transport for requests whose URI names none; default UDP if listening, else TCP. */
  defaultTransport?: TransportKind;
  /**
   * Outbound proxy (RFC 3261 §8.1.2): every request, in and out of dialogs, goes to this next hop (the
   * lab's client → CSCF over its kept TCP flow; a SendTarget may pin the flow with `flowId`).
   */
  outboundProxy?: HopTarget;
  /** Preloaded route set (§8.1.2) put as Route on out-of-dialog requests: `['<sip:127.0.0.1:5060;lr>']`. */
  routes?: string[];
  /** Default credentials for 401/407 challenges (§22). */
  credentials?: Credentials;
  /** Option tags this UA supports; a request requiring others gets 420 (§8.2.2.3). */
  supported?: string[];
  /** User-Agent header value. */
  userAgent?: string;
}

export interface ListenOptions extends Omit<UserAgentOptions, 'transport' | 'layer' | 'attach'> {
  /** Listeners and limits of the transport the UA creates and owns (default: UDP and TCP on 127.0.0.1:0). */
  transport?: TransportLayerOptions;
}

/** Methods the UA always handles itself (within dialogs or by the transaction layer). */
const BUILT_IN = ['ACK', 'BYE', 'CANCEL', 'NOTIFY', 'OPTIONS'];

/** Room kept for the Via (and Max-Forwards) the transaction layer adds after the UA built the request. */
const VIA_MARGIN = 512;

export class UserAgent implements UaCore {
  readonly layer: TransactionLayer;
  readonly transport: SipTransport;
  readonly credentials: Credentials | undefined;
  readonly defaultTransport: TransportKind;
  readonly #options: UserAgentOptions;
  readonly #handlers = new Map<string, UaRequestHandler<ServerResponse>>();
  readonly #dialogs = new Map<string, DialogUsage>();
  readonly #pendingSubscriptions = new Map<string, Subscription>();
  readonly #registrations = new Map<string, Registration>();
  readonly #errorListeners = new Set<(error: unknown) => void>();
  readonly #supported: Set<string>;
  readonly #ownsLayer: boolean;
  #ownedTransport: SipTransportLayer | undefined;
  #closed = false;

  /** A UA on its own transport: UDP and TCP listeners (default 127.0.0.1, ephemeral ports). */
  static async listen(options: ListenOptions = {}): Promise<UserAgent> {
    const { transport: transportOptions, ...rest } = options;
    const transport = await SipTransportLayer.listen(transportOptions ?? { udp: {}, tcp: {} });
    const ua = new UserAgent({ ...rest, transport });
    ua.#ownedTransport = transport;
    return ua;
  }

  constructor(options: UserAgentOptions) {
    this.#options = options;
    this.transport = options.transport;
    this.#ownsLayer = options.layer === undefined;
    this.layer = options.layer ?? new TransactionLayer(options.transport, { timers: options.timers ?? {} });
    this.credentials = options.credentials;
    this.defaultTransport = options.defaultTransport ?? (options.transport.sentBy('udp') ? 'udp' : 'tcp');
    this.#supported = new Set((options.supported ?? []).map((t) => t.toLowerCase()));
    if (options.attach ?? true) {
      this.layer
        .onRequest((request, tx) => this.handleRequest(request, tx))
        .onAck((ack) => this.handleAck(ack))
        .onStrayResponse((response) => this.handleStrayResponse(response))
        .onError((error) => this.reportError(error));
    }
  }

  get timers(): TimerSettings {
    return this.layer.timers;
  }

  /** The UA's identity (From of its requests). */
  get aor(): string {
    if (this.#options.aor !== undefined) return this.#options.aor;
    const sentBy = this.transport.sentBy(this.defaultTransport);
    return `sip:ua@${sentBy ? hostForVia(sentBy.address) : 'localhost'}`;
  }

  /** Live dialogs (sessions and subscriptions), for diagnostics. */
  get dialogCount(): number {
    return this.#dialogs.size;
  }

  // ---- handlers ----

  /** Handle out-of-dialog requests of `method`. Without a handler: 405 with Allow (§8.2.1); OPTIONS: 200. */
  on(method: 'INVITE', handler: UaRequestHandler<InviteServerResponse>): this;
  on(method: 'SUBSCRIBE', handler: UaRequestHandler<SubscribeServerResponse>): this;
  on(method: string, handler: UaRequestHandler): this;
  on(method: string, handler: UaRequestHandler<never>): this {
    // The overloads give INVITE/SUBSCRIBE handlers their response subclass; dispatch creates the matching one.
    this.#handlers.set(method.toUpperCase(), handler as UaRequestHandler<ServerResponse>);
    return this;
  }

  off(method: string): this {
    this.#handlers.delete(method.toUpperCase());
    return this;
  }

  /** Errors that have no caller to reject: socket-level failures, throwing listeners, timer-driven sends. */
  onError(listener: (error: unknown) => void): this {
    this.#errorListeners.add(listener);
    return this;
  }

  // ---- UAC ----

  /**
   * A non-INVITE request outside a dialog (§8.1). Resolves with the 2xx; rejects with SipRequestError for
   * 3xx–6xx (and the local 408/503 of §8.1.3.1). A 401/407 is answered once with the credentials.
   */
  async request(method: string, uri: string, options: OutOfDialogOptions = {}): Promise<SipResponse> {
    const request = this.buildRequest(method.toUpperCase(), uri, options);
    const { response } = await sendWithDigest(this.layer, request, {
      target: this.outOfDialogTarget(request, options.target),
      credentials: options.credentials ?? this.credentials,
    });
    if (response.status < 200 || response.status >= 300) throw new SipRequestError(request.method, response);
    return response;
  }

  /** RFC 3428 pager-mode MESSAGE with a body (default Content-Type text/plain). */
  message(
    uri: string,
    body: Buffer | string,
    options: Omit<OutOfDialogOptions, 'body'> = {},
  ): Promise<SipResponse> {
    return this.request('MESSAGE', uri, {
      ...options,
      body,
      contentType: options.contentType ?? 'text/plain;charset=UTF-8',
    });
  }

  /** INVITE (§13.2): `await call.session` for the established session; `call.cancel()` to CANCEL. */
  invite(uri: string, options: InviteOptions = {}): OutgoingInvite {
    return new OutgoingInvite(this, uri, options);
  }

  /** RFC 6665 SUBSCRIBE: resolves with the subscription on a 2xx; rejects with SipRequestError. */
  subscribe(uri: string, options: SubscribeOptions): Promise<Subscription> {
    return subscribe(this, uri, options, {
      add: (key, sub) => this.#pendingSubscriptions.set(key, sub),
      remove: (key) => this.#pendingSubscriptions.delete(key),
    });
  }

  /**
   * A registration for `options.aor` (default this UA's), not yet sent; it replaces (and stops refreshing)
   * an earlier one for the same AoR. Listen to its events, then `register()`.
   */
  registration(options: RegisterOptions): Registration {
    const aor = options.aor ?? this.aor;
    this.#registrations.get(aor)?.stop();
    const registration = new Registration(this, aor, options);
    this.#registrations.set(aor, registration);
    return registration;
  }

  /** §10.2: register; resolves with the 200 (the Registration is `ua.registrations.get(aor)`). */
  register(options: RegisterOptions): Promise<SipResponse> {
    return this.registration(options).register();
  }

  get registrations(): ReadonlyMap<string, Registration> {
    return this.#registrations;
  }

  /** §10.2.2: remove the binding(s) of `aor` (default: every registration of this UA). */
  async unregister(aor?: string): Promise<void> {
    const list = aor === undefined ? [...this.#registrations.values()] : [this.#registrations.get(aor)];
    await Promise.all(list.map((r) => r?.unregister()));
  }

  /** Stop timers, end dialogs locally (no BYE), close the layer (and the transport if the UA created it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#registrations.values()) r.stop();
    for (const usage of [...this.#dialogs.values()]) usage.shutdown();
    for (const sub of this.#pendingSubscriptions.values()) sub.shutdown();
    if (this.#ownsLayer) this.layer.close();
    await this.#ownedTransport?.close();
  }

  // ---- incoming (public so that a node owning the layer can delegate to the UA) ----

  /** A new request from the transaction layer (§8.2). */
  handleRequest(request: SipRequest, tx: ServerTransaction): void {
    try {
      // §8.2.2.3: option tags in Require that we do not support → 420 with Unsupported.
      const unsupported = request
        .getAll('require')
        .map((t) => t.trim())
        .filter((t) => t && !this.#supported.has(t.toLowerCase()));
      if (unsupported.length && request.method !== 'CANCEL') {
        void tx.reply(420, { headers: [['Unsupported', unsupported.join(', ')]] });
        return;
      }
      if (request.toTag !== undefined) this.#inDialog(request, tx);
      else this.#outOfDialog(request, tx);
    } catch (err) {
      // An unreadable From/To/CSeq/Contact: §8.2 has no better answer than 400.
      this.reportError(err);
      if ((tx.lastResponse?.status ?? 0) < 200) void tx.reply(400);
    }
  }

  /** An ACK for a 2xx (no transaction matched, §13.3.1.4 / §17.2.3). */
  handleAck(ack: SipRequest): void {
    try {
      const id = dialogIdOfRequest(ack);
      if (id) this.#dialogs.get(dialogKey(id))?.receiveAck?.(ack);
    } catch (err) {
      this.reportError(err);
    }
  }

  /** A response matching no transaction: 2xx retransmissions to INVITE after Timer M (§13.2.2.4). */
  handleStrayResponse(response: SipResponse): void {
    try {
      if (response.status < 200 || response.status >= 300 || response.cseq.method !== 'INVITE') return;
      const key = dialogKey({
        callId: response.callId,
        localTag: response.fromTag ?? '',
        remoteTag: response.toTag ?? '',
      });
      this.#dialogs.get(key)?.receive2xx?.(response);
    } catch (err) {
      this.reportError(err);
    }
  }

  #inDialog(request: SipRequest, tx: ServerTransaction): void {
    const id = dialogIdOfRequest(request)!;
    let usage = this.#dialogs.get(dialogKey(id));
    let fresh = false;
    if (!usage && request.method === 'NOTIFY') {
      // RFC 6665 §4.1.2.4: a NOTIFY may arrive before the 2xx to SUBSCRIBE and create the dialog.
      const pending = this.#pendingSubscriptions.get(pendingKey(id.callId, id.localTag));
      if (pending) {
        pending.createDialogFromNotify(request, pathOf(tx.source));
        usage = pending;
        fresh = true;
      }
    }
    if (!usage) {
      void tx.reply(481); // §12.2.2: no such dialog
      return;
    }
    if (!fresh && !usage.dialog.acceptRemoteSeq(request)) {
      void tx.reply(500, { reason: 'CSeq Out Of Order' }); // §12.2.2
      return;
    }
    usage.receiveRequest(request, this.#responseFor(request, tx));
  }

  #outOfDialog(request: SipRequest, tx: ServerTransaction): void {
    const method = request.method;
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && request.getAll('contact').length === 0) {
      void tx.reply(400, { reason: 'Missing Contact' }); // §8.1.1.8, RFC 6665 §4.1.2.1
      return;
    }
    const handler = this.#handlers.get(method);
    if (!handler) {
      if (method === 'OPTIONS')
        void tx.reply(200, { headers: [['Allow', this.allow()]] }); // §11.2
      else void tx.reply(405, { headers: [['Allow', this.allow()]] }); // §8.2.1
      return;
    }
    const res = this.#responseFor(request, tx);
    const failed = (err: unknown) => {
      this.reportError(err);
      if (!res.finalSent) void tx.reply(500);
    };
    try {
      const result = handler(request, res);
      if (result && typeof result.then === 'function') result.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  }

  #responseFor(request: SipRequest, tx: ServerTransaction): ServerResponse {
    if (tx.kind === 'invite' && request.toTag === undefined)
      return new InviteServerResponse(request, tx, this);
    if (request.method === 'SUBSCRIBE' && request.toTag === undefined) {
      return new SubscribeServerResponse(request, tx, this);
    }
    return new ServerResponse(request, tx, this);
  }

  // ---- UaCore ----

  contactUri(transport: TransportKind): string {
    if (this.#options.contact !== undefined) return this.#options.contact;
    const sentBy =
      this.transport.sentBy(transport) ?? this.transport.sentBy(transport === 'udp' ? 'tcp' : 'udp');
    const host = sentBy ? `${hostForVia(sentBy.address)}:${sentBy.port}` : 'localhost';
    const user = userOf(this.aor);
    return `sip:${user ? `${user}@` : ''}${host}${transport === 'tcp' ? ';transport=tcp' : ''}`;
  }

  contact(transport: TransportKind): string {
    return `<${this.contactUri(transport)}>`;
  }

  allow(): string {
    return [...new Set([...this.#handlers.keys(), ...BUILT_IN])].sort().join(', ');
  }

  buildRequest(method: string, uri: string, options: OutOfDialogOptions): SipRequest {
    const identity = options.from ?? this.#identity();
    const body = bodyOf(options.body);
    const request = createRequest({
      method,
      uri,
      from: `${identity};tag=${newTag()}`,
      to: options.to ?? `<${uri}>`,
      callId: options.callId ?? newCallId(),
      cseq: options.cseq ?? 1,
      ...(body ? { body } : {}),
      ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
    });
    // §8.1.2: a preloaded route set goes first in Route.
    if (this.#options.routes?.length) request.append('Route', this.#options.routes.join(', '));
    const headers = options.headers ?? [];
    const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
    if (method === 'INVITE' && !has('allow')) request.append('Allow', this.allow());
    if (this.#options.userAgent !== undefined) request.append('User-Agent', this.#options.userAgent);
    for (const [name, value] of headers) request.append(name, value);
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && !has('contact')) {
      // §8.1.1.8: a Contact reachable over the transport the request will use.
      request.append('Contact', this.contact(this.outOfDialogTarget(request, options.target).transport));
    }
    this.#assertFits(request);
    return request;
  }

  /**
   * A request over the size the lab's nodes accept would be refused with 513 (or cost a UDP peer the
   * datagram): refuse to build it, with the figures (Via is added later: a margin is kept for it).
   */
  #assertFits(request: SipRequest): void {
    const max = this.transport.maxMessageSize;
    if (max === undefined) return;
    // The size as the serializer will write it, counted without building the bytes (the transport does that).
    let size = request.method.length + request.uri.length + request.version.length + 4 + request.body.length;
    for (const h of request.headers) size += h.name.length + Buffer.byteLength(h.value) + 4;
    size += VIA_MARGIN + 2;
    if (size > max) {
      throw new UaError(
        'too-large',
        `${request.method} would be about ${size} bytes, over the ${max}-byte message limit (RFC 3261 §21.5.14)`,
      );
    }
  }

  outOfDialogTarget(request: SipRequest, hop?: HopTarget): SendTarget {
    const chosen = hop ?? this.#options.outboundProxy;
    if (chosen !== undefined) return resolveNextHop(chosen, this.defaultTransport);
    return targetOfUri(firstHopUri(request), this.defaultTransport);
  }

  /**
   * §12.2.1.1: the outbound proxy if configured (IMS UEs send everything to their P-CSCF), else the top
   * Route / remote target; the dialog's transport when the URI names none (the TCP connection to that
   * address is reused by the transport layer).
   */
  inDialogTarget(request: SipRequest, path: DialogPath): SendTarget {
    if (this.#options.outboundProxy !== undefined) {
      return resolveNextHop(this.#options.outboundProxy, this.defaultTransport);
    }
    return targetOfUri(firstHopUri(request), path.transport);
  }

  addDialog(usage: DialogUsage): void {
    this.#dialogs.set(usage.dialog.key, usage);
  }

  removeDialog(usage: DialogUsage): void {
    if (this.#dialogs.get(usage.dialog.key) === usage) this.#dialogs.delete(usage.dialog.key);
  }

  findDialog(key: string): DialogUsage | undefined {
    return this.#dialogs.get(key);
  }

  reportError(error: unknown): void {
    for (const listener of this.#errorListeners) {
      try {
        listener(error);
      } catch {
        // an error listener failed; nothing left to tell
      }
    }
  }

  #identity(): string {
    const name = this.#options.displayName;
    return name ? `"${name.replace(/(["\\])/g, '\\$1')}" <${this.aor}>` : `<${this.aor}>`;
  }
}

function pathOf(source: MessageSource): DialogPath {
  return { transport: source.transport, remote: source.remote, flowId: source.flowId };
}

function userOf(aor: string): string | undefined {
  try {
    const uri = parseUri(aor);
    return isSipUri(uri) ? uri.user : undefined;
  } catch {
    return undefined;
  }
}
