// The mock CSCF node (P-, I- and S-CSCF in one, protocol-notes §2–§3): registrar, caller-preference
// routing, stateful proxy with Record-Route, flows toward UEs, third-party REGISTER to the PF, and
// network-side fault injection. Everything observable through its control API.
import type { Express } from 'express';
import { WireTrace } from '../../protocol/trace/index.js';
import {
  aorOf,
  DigestServer,
  defaultSendTarget,
  type FlowInfo,
  type MessageSource,
  isSipUri,
  type NextHop,
  parseNameAddr,
  parseUri,
  type ProxyTarget,
  type SendTarget,
  type ServerTransaction,
  type SipRequest,
  SipTransportLayer,
  type SipUri,
  StatefulProxy,
  TransactionLayer,
  type Uri,
  uriEquals,
} from '../../protocol/sip/index.js';
import {
  type ControlServer,
  createControlApi,
  createLogger,
  HttpError,
  type Logger,
  NodeEvents,
  optionalInt,
  requireObject,
  requireString,
  startControlServer,
  TraceRecorder,
  logWireMessages,
} from '../../runtime/index.js';
import type { CscfConfig } from './config.js';
import { type Binding, bindingUri, Registrar } from './registrar.js';
import { route, type RoutingContext, type ServiceRoute } from './routing.js';
import {
  buildThirdPartyRegister,
  remainingSeconds,
  ThirdPartyRegisterSequence,
} from './third-party-register.js';

export interface CscfOptions {
  logger?: Logger;
  /** Start the control API (default true). */
  control?: boolean;
  now?: () => number;
}

export interface BindingState {
  aor: string;
  contact: string;
  features: Record<string, string | null>;
  instanceId: string | undefined;
  q: number;
  expiresIn: number;
  reachable: boolean;
  flow: Binding['flow'];
}

export interface CscfState {
  node: 'cscf';
  domain: string;
  sip: { udp?: { address: string; port: number }; tcp?: { address: string; port: number } };
  users: string[];
  bindings: BindingState[];
  unreachable: string[];
  applicationServers: string[];
}

export class Cscf {
  readonly config: CscfConfig;
  readonly registrar: Registrar;
  readonly trace = new WireTrace();
  readonly recorder: TraceRecorder;
  readonly events = new NodeEvents('cscf');
  readonly logger: Logger;
  readonly #now: () => number;
  readonly #unreachable = new Set<string>();
  readonly #thirdParty = new ThirdPartyRegisterSequence();
  readonly #digest: DigestServer | undefined;
  readonly #held = new Set<NodeJS.Timeout>();
  #transport!: SipTransportLayer;
  #transactions!: TransactionLayer;
  #proxy!: StatefulProxy;
  #control: ControlServer | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** When #expiryTimer fires (the registrar's earliest expiry when it was armed). */
  #expiryAt: number | undefined;
  #closed = false;

  private constructor(config: CscfConfig, options: CscfOptions) {
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.logger = options.logger ?? createLogger('cscf');
    this.recorder = new TraceRecorder({ node: 'cscf', ...config.trace });
    this.recorder.attach(this.trace);
    logWireMessages(this.trace, this.logger); // every SIP and MSRP message, in full, at debug
    this.registrar = new Registrar({
      domain: config.domain,
      users: new Set(config.users),
      minExpires: config.minExpires,
      maxExpires: config.maxExpires,
      now: this.#now,
    });
    if (config.auth.enabled) this.#digest = new DigestServer({ realm: config.domain });
  }

  /** Bind the SIP listeners and (unless disabled) the control API. */
  static async start(config: CscfConfig, options: CscfOptions = {}): Promise<Cscf> {
    const cscf = new Cscf(config, options);
    await cscf.#start(options.control ?? true);
    return cscf;
  }

  async #start(withControl: boolean): Promise<void> {
    const { config } = this;
    this.#transport = await SipTransportLayer.listen({
      udp: { host: config.host, port: config.udpPort },
      tcp: { host: config.host, port: config.tcpPort },
      trace: this.trace,
      // A UE's flow must outlive its registration interval (RFC 5626 keep-alives are optional here).
      idleTimeoutMs: 0,
      maxConnections: config.maxConnections,
    });
    this.#transport.on('error', (err) => this.logger.warn('transport error', { error: err.message }));
    this.#transport.on('malformed', (m) =>
      this.logger.info('malformed SIP input', {
        from: `${m.source.remote.address}:${m.source.remote.port}`,
        error: m.error.message,
        responded: m.responded,
      }),
    );
    this.#transport.on('flow-closed', (flow) => this.#onFlowClosed(flow));
    this.#transactions = new TransactionLayer(this.#transport, {
      autoRespond487: false,
      timers: { t1: config.t1 },
    });
    this.#transactions.onError((err) => this.logger.error('transaction layer error', { error: String(err) }));
    this.#proxy = new StatefulProxy({
      transactions: this.#transactions,
      transport: this.#transport,
      isOwnUri: (uri) => this.#isOwnAddress(uri),
      resolveNextHop: (hop) => this.#resolveNextHop(hop),
      // protocol-notes §3: a UE whose flow is gone is offline (480), no answer is a 408.
      failureStatus: (f) =>
        f.error?.code === 'flow-closed'
          ? 480
          : f.failure === 'timeout' || f.failure === 'timer-c'
            ? 408
            : 503,
    }).attach();
    this.#transactions.onRequest((request, tx) => this.#onRequest(request, tx));
    for (const { user, contact } of config.staticContacts) this.addStaticBinding(user, contact);
    if (withControl) {
      this.#control = await startControlServer(this.#controlApp(), {
        host: config.controlHost,
        port: config.controlPort,
        logger: this.logger,
      });
    }
  }

  get sipAddresses(): CscfState['sip'] {
    return this.#transport.addresses;
  }

  get controlUrl(): string | undefined {
    return this.#control?.url;
  }

  /** The URI other nodes use to reach the CSCF over TCP (outbound proxy / Record-Route). */
  get tcpUri(): string {
    const tcp = this.#transport.sentBy('tcp');
    if (!tcp) throw new Error('the CSCF has no TCP listener');
    return `sip:${tcp.address}:${tcp.port};transport=tcp;lr`;
  }

  // ---- requests ----

  async #onRequest(request: SipRequest, tx: ServerTransaction): Promise<void> {
    if (request.method === 'REGISTER') return this.#onRegister(request, tx);
    let uri: Uri;
    try {
      uri = request.requestUri;
    } catch {
      await tx.reply(400, { reason: 'Bad Request-URI' });
      return;
    }
    // Requests for the CSCF itself (OPTIONS keep-alive/ping to our address, no user part).
    if (isSipUri(uri) && uri.user === undefined && this.#isOwnAddress(uri) && !request.has('route')) {
      await tx.reply(request.method === 'OPTIONS' ? 200 : 404);
      return;
    }
    // RFC 3325 §9 / 3GPP TS 24.229 P-CSCF: a request from a registered UE carries that registration's identity.
    if (!(await this.#assertIdentity(request, tx))) return;
    const inDialog = request.toTag !== undefined;
    // In-dialog requests and pre-routed ones follow their Route / Request-URI (RFC 3261 §16.4, §16.12),
    // unless the Request-URI names a user at our address or domain (then the location service decides).
    if ((inDialog || this.#topRouteIsOurs(request)) && !this.#addressesLocalUser(uri)) {
      await this.#proxy.forwardByRoute(request, tx, {
        recordRoute: inDialog ? undefined : this.#recordRoute(),
      });
      return;
    }
    const target = this.#retargetLocal(uri);
    const decision = route(request, target, this.#routingContext());
    switch (decision.kind) {
      case 'reject':
        await tx.reply(decision.status, decision.reason === undefined ? {} : { reason: decision.reason });
        return;
      case 'blackhole':
        this.#hold(request, tx);
        return;
      case 'service': {
        const next = defaultSendTarget(parseUri(decision.route.uri) as SipUri);
        const targets: ProxyTarget[] = [next ? { next } : {}];
        await this.#proxy.forward(request, tx, targets, { recordRoute: this.#recordRoute() });
        return;
      }
      case 'users': {
        const targets = decision.bindings.map((b) => ({ uri: bindingUri(b), next: flowTarget(b) }));
        const outcome = await this.#proxy.forward(request, tx, targets, { recordRoute: this.#recordRoute() });
        this.logger.debug('forked', {
          aor: decision.aor,
          branches: targets.length,
          status: outcome.response.status,
        });
        return;
      }
    }
  }

  /**
   * A request that arrives over a registered UE's flow (TCP connection, or the UDP address it registered
   * from) is that UE's: its From must be a registered AoR of the flow (403 otherwise), any identity it claims
   * itself (P-Asserted-Identity, P-Preferred-Identity) is dropped, and the CSCF asserts the registered one
   * (RFC 3325 §9.1), as a P-CSCF does. Requests from elsewhere (the PF, other network entities) pass as they
   * are. False when the request was answered here.
   */
  async #assertIdentity(request: SipRequest, tx: ServerTransaction): Promise<boolean> {
    const aors = this.#registeredAorsOf(tx.source);
    if (aors.length === 0) return true;
    let from: string;
    try {
      from = aorOf(request.from.uri);
    } catch {
      await tx.reply(400, { reason: 'Bad From' });
      return false;
    }
    const asserted = aors.find((aor) => aor === from);
    if (asserted === undefined) {
      await tx.reply(403, { reason: 'From does not match the registered identity' });
      this.events.emit('identity-refused', { from, registered: aors, method: request.method });
      return false;
    }
    request.remove('p-asserted-identity');
    request.remove('p-preferred-identity');
    request.append('P-Asserted-Identity', `<${asserted}>`);
    return true;
  }

  /** The AoRs registered over the flow a request came on (usually one), from the registrar's flow index. */
  #registeredAorsOf(source: MessageSource): string[] {
    if (source.transport === 'tcp' && source.flowId === undefined) return [];
    const bindings = this.registrar.bindingsFrom({
      transport: source.transport,
      address: source.remote.address,
      port: source.remote.port,
      ...(source.flowId === undefined ? {} : { flowId: source.flowId }),
    });
    return [...new Set(bindings.map((b) => b.aor))];
  }

  /** Fault injection: the UE does not answer; the request times out (408) like a lost radio link. */
  #hold(request: SipRequest, tx: ServerTransaction): void {
    const timer = setTimeout(() => {
      this.#held.delete(timer);
      void tx.reply(408);
    }, this.config.unreachableTimeoutMs);
    this.#held.add(timer);
    if (tx.kind === 'invite') {
      tx.onCancel(() => {
        clearTimeout(timer);
        this.#held.delete(timer);
        void tx.reply(487);
      });
    }
    this.logger.info('request to an unreachable UE held', { method: request.method, uri: request.uri });
  }

  async #onRegister(request: SipRequest, tx: ServerTransaction): Promise<void> {
    const source = tx.source;
    if (this.#digest) {
      const auth = request.get('authorization');
      const verdict =
        auth === undefined ? undefined : this.#digest.verify(auth, 'REGISTER', (u) => this.#passwordOf(u));
      if (!verdict?.ok) {
        const stale = verdict !== undefined && !verdict.ok && verdict.reason === 'stale';
        await tx.reply(401, { headers: [['WWW-Authenticate', this.#digest.challenge(stale)]] }); // RFC 3261 §22.1
        return;
      }
    }
    const outcome = this.registrar.register(request, {
      transport: source.transport,
      address: source.remote.address,
      port: source.remote.port,
      ...(source.flowId === undefined ? {} : { flowId: source.flowId }),
    });
    if (outcome.status === 423) {
      await tx.reply(423, { headers: [['Min-Expires', outcome.minExpires]] });
      return;
    }
    if (outcome.status !== 200) {
      await tx.reply(outcome.status, { reason: outcome.reason });
      return;
    }
    const contacts = this.registrar.contactHeaders(outcome.bindings);
    await tx.reply(200, {
      headers: [
        ...contacts.map((c): [string, string] => ['Contact', c]),
        ['Date', new Date(this.#now()).toUTCString()],
      ],
    });
    this.events.emit('registration', {
      aor: outcome.aor,
      added: outcome.added.length,
      refreshed: outcome.refreshed.length,
      removed: outcome.removed.length,
      bindings: outcome.bindings.length,
    });
    this.logger.info('REGISTER', {
      aor: outcome.aor,
      bindings: outcome.bindings.length,
      from: `${source.remote.address}:${source.remote.port}`,
    });
    this.#scheduleExpiry();
    this.#notifyApplicationServers(outcome.aor);
  }

  #passwordOf(username: string): string | undefined {
    const user = username.replace(/^sip:/, '').split('@')[0] ?? username;
    return this.config.auth.passwords.get(user) ?? this.config.auth.passwords.get(username);
  }

  // ---- third-party registration (protocol-notes §3) ----

  #notifyApplicationServers(aor: string): void {
    const expires = remainingSeconds(this.registrar.lookup(aor), this.#now());
    for (const service of this.config.services) {
      const as = parseUri(service.uri) as SipUri;
      const target = defaultSendTarget(as);
      if (!target) continue;
      const { callId, cseq } = this.#thirdParty.next(service.uri, aor, this.config.host);
      const request = buildThirdPartyRegister({
        asUri: service.uri,
        aor,
        cscfUri: `sip:cscf@${this.config.domain}`,
        expires,
        cseq,
        callId,
      });
      try {
        const tx = this.#transactions.sendRequest(request, target);
        void tx.final.then((response) => {
          if (response.status >= 300) {
            this.logger.warn('third-party REGISTER refused', {
              as: service.uri,
              aor,
              status: response.status,
            });
          }
        });
        this.events.emit('third-party-register', { as: service.uri, aor, expires });
      } catch (err) {
        this.logger.warn('third-party REGISTER not sent', { as: service.uri, aor, error: String(err) });
      }
    }
  }

  #onFlowClosed(flow: FlowInfo): void {
    const affected = new Set<string>();
    for (const binding of this.registrar.bindingsOnFlow(flow.flowId)) {
      if (!binding.reachable) continue;
      binding.reachable = false; // protocol-notes §3: the flow is gone, requests to it get 480 at once
      affected.add(binding.aor);
    }
    for (const aor of affected) {
      this.logger.info('flow closed: bindings unreachable', { aor, flow: flow.flowId });
      this.events.emit('flow-lost', { aor, flowId: flow.flowId });
      this.#notifyApplicationServers(aor);
    }
  }

  #scheduleExpiry(): void {
    const next = this.registrar.nextExpiry();
    // Most REGISTERs do not change the earliest expiry: the timer stays as it is (no clear and re-arm).
    if (next === this.#expiryAt && this.#expiryTimer !== undefined) return;
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    this.#expiryAt = next;
    if (next === undefined || this.#closed) return;
    this.#expiryTimer = setTimeout(
      () => {
        this.#expiryTimer = undefined;
        this.#expiryAt = undefined;
        const gone = this.registrar.expire();
        for (const aor of new Set(gone.map((b) => b.aor))) {
          this.events.emit('registration-expired', { aor });
          this.#notifyApplicationServers(aor);
        }
        this.#scheduleExpiry();
      },
      Math.max(0, next - this.#now()) + 5,
    );
    this.#expiryTimer.unref();
  }

  // ---- fault injection ----

  /** Network-initiated de-registration: every binding of the user goes, and the PF is told. */
  deregister(user: string): Binding[] {
    const aor = this.#aorOfUser(user);
    const removed = this.registrar.removeAll(aor);
    this.events.emit('network-deregistration', { aor, bindings: removed.length });
    this.#notifyApplicationServers(aor);
    return removed;
  }

  /**
   * The UE loses coverage: the TCP flows its bindings use are closed, as when the network goes away (the
   * bindings become unreachable and the PF is told, protocol-notes §3). Returns how many flows were closed.
   */
  dropFlows(user: string): number {
    const aor = this.#aorOfUser(user);
    const flows = new Set(
      this.registrar
        .lookup(aor)
        .map((b) => b.flow.flowId)
        .filter((id): id is string => id !== undefined),
    );
    let closed = 0;
    for (const flowId of flows) if (this.#transport.closeFlow(flowId)) closed++;
    this.events.emit('flows-dropped', { aor, flows: closed });
    return closed;
  }

  /** A user known from now on (the embedded lab creating a client for a scenario run). */
  addUser(user: string): void {
    this.registrar.addUser(`sip:${user}@${this.config.domain}`);
  }

  /** Forget a user: its bindings go (the PF is told it is offline) and it gets 404 again. */
  removeUser(user: string): void {
    const aor = this.#aorOfUser(user);
    if (this.registrar.removeUser(aor).length > 0) this.#notifyApplicationServers(aor);
  }

  /**
   * Route PSIs matching `userPattern` to an application server and send it third-party REGISTERs (for
   * labs that start the AS after the CSCF, on a port known only then).
   */
  addApplicationServer(route: ServiceRoute): void {
    this.config.services.push(route);
  }

  /** Provision a contact for a peer that does not register (e.g. SIPp's `uas`), reached at its URI. */
  addStaticBinding(user: string, contact: string, expires?: number): Binding {
    const aor = this.#aorOfUser(user);
    const binding = this.registrar.addStatic(aor, contact, expires);
    this.events.emit('static-binding', { aor, contact });
    this.#scheduleExpiry();
    this.#notifyApplicationServers(aor);
    return binding;
  }

  /** Make a UE unreachable (requests to it time out) or restore it. */
  setReachable(user: string, reachable: boolean): void {
    const aor = this.#aorOfUser(user);
    if (reachable) this.#unreachable.delete(aor);
    else this.#unreachable.add(aor);
    this.events.emit('reachability', { aor, reachable });
  }

  #aorOfUser(user: string): string {
    const aor = user.startsWith('sip:') ? aorOf(parseUri(user)) : `sip:${user}@${this.config.domain}`;
    if (!this.registrar.isKnownUser(aor)) throw new HttpError(404, `unknown user ${user}`);
    return aor;
  }

  // ---- routing helpers ----

  #routingContext(): RoutingContext {
    return {
      domain: this.config.domain,
      registrar: this.registrar,
      services: this.config.services,
      unreachable: this.#unreachable,
    };
  }

  #recordRoute(): string {
    return this.tcpUri;
  }

  #isOwnAddress(uri: Uri): boolean {
    if (!isSipUri(uri)) return false;
    return this.#proxy.isOwnSentBy(uri.host, uri.port);
  }

  #topRouteIsOurs(request: SipRequest): boolean {
    const top = request.getAll('route')[0];
    if (top === undefined) return false;
    try {
      return this.#isOwnAddress(parseNameAddr(top).uri);
    } catch {
      return false;
    }
  }

  /** A user at our own address (`sip:bob@127.0.0.1:5060`, as simple UAs send) or in our domain. */
  #addressesLocalUser(uri: Uri): boolean {
    return (
      isSipUri(uri) &&
      uri.user !== undefined &&
      (this.#isOwnAddress(uri) || uri.host.toLowerCase() === this.config.domain)
    );
  }

  /** `sip:bob@<our address>` is read as `sip:bob@<domain>` for the location service. */
  #retargetLocal(uri: Uri): Uri {
    if (isSipUri(uri) && uri.user !== undefined && this.#isOwnAddress(uri)) {
      const { port: _ourPort, ...rest } = uri;
      return { ...rest, host: this.config.domain };
    }
    return uri;
  }

  /** Next hops for routed requests: registered contacts go over their flow; PSIs to the AS (§16.6 step 7). */
  #resolveNextHop(hop: NextHop): SendTarget | undefined {
    const uri = hop.uri;
    for (const binding of this.registrar.all()) {
      if (uriEquals(binding.contact.uri, uri)) return flowTarget(binding);
    }
    if (
      uri.user !== undefined &&
      (uri.host.toLowerCase() === this.config.domain || this.#isOwnAddress(uri))
    ) {
      const user = decodeURIComponent(uri.user);
      const service = this.config.services.find((s) => s.userPattern.test(user));
      if (service) return defaultSendTarget(parseUri(service.uri) as SipUri);
      const binding = this.registrar.lookup(`sip:${user}@${this.config.domain}`).find((b) => b.reachable);
      if (binding) return flowTarget(binding);
    }
    return undefined;
  }

  // ---- state and control API ----

  state(): CscfState {
    const now = this.#now();
    return {
      node: 'cscf',
      domain: this.config.domain,
      sip: this.#transport.addresses,
      users: this.config.users,
      bindings: this.registrar.all().map((b) => ({
        aor: b.aor,
        contact: bindingUri(b),
        features: Object.fromEntries(b.params.list.map((p) => [p.name, p.value])),
        instanceId: b.instanceId,
        q: b.q,
        expiresIn: Math.max(0, Math.round((b.expiresAt - now) / 1000)),
        reachable: b.reachable,
        flow: b.flow,
      })),
      unreachable: [...this.#unreachable],
      applicationServers: this.config.services.map((s) => s.uri),
    };
  }

  #controlApp(): Express {
    return createControlApi({
      node: 'cscf',
      logger: this.logger,
      state: () => this.state(),
      trace: this.recorder,
      events: this.events,
      routes: (app) => {
        app.get('/bindings/:user', (req, res) => {
          const aor = this.#aorOfUser(req.params.user);
          res.json(this.state().bindings.filter((b) => b.aor === aor));
        });
        app.post('/users/:user/bindings', (req, res) => {
          const body = requireObject(req.body);
          const contact = requireString(body, 'contact');
          const expires = optionalInt(body, 'expires', { min: 1, max: this.config.maxExpires });
          let binding: Binding;
          try {
            binding = this.addStaticBinding(req.params.user, contact, expires);
          } catch (err) {
            if (err instanceof HttpError) throw err;
            throw new HttpError(400, (err as Error).message);
          }
          res.status(201).json({ aor: binding.aor, contact: bindingUri(binding) });
        });
        app.post('/users/:user/deregister', (req, res) => {
          const removed = this.deregister(req.params.user);
          res.json({ user: req.params.user, removedBindings: removed.length });
        });
        app.post('/users/:user/drop-flows', (req, res) => {
          const dropped = this.dropFlows(req.params.user);
          if (dropped === 0)
            throw new HttpError(
              409,
              `${req.params.user} has no TCP flow to drop (not registered, or registered over UDP: use /unreachable)`,
            );
          res.json({ user: req.params.user, droppedFlows: dropped });
        });
        app.post('/users/:user/unreachable', (req, res) => {
          this.setReachable(req.params.user, false);
          res.json({ user: req.params.user, reachable: false });
        });
        app.post('/users/:user/reachable', (req, res) => {
          this.setReachable(req.params.user, true);
          res.json({ user: req.params.user, reachable: true });
        });
      },
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    for (const t of this.#held) clearTimeout(t);
    this.#held.clear();
    this.#proxy.close();
    this.#transactions.close();
    await this.#transport.close();
    await this.#control?.close();
    this.recorder.close();
  }
}

/** Requests to a registered contact go back over the connection it registered from (protocol-notes §3). */
function flowTarget(binding: Binding): SendTarget {
  const target: SendTarget = {
    transport: binding.flow.transport,
    address: binding.flow.address,
    port: binding.flow.port,
  };
  if (binding.flow.flowId !== undefined) target.flowId = binding.flow.flowId;
  return target;
}
