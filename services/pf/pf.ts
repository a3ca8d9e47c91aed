// The mock CPM Participating and Controlling Function node (architecture.md "PF"; clause PF; protocol profile
// §3, §4, §6, §7), as a shell around its roles: configuration, start and close, provisioning, state, and the
// wiring. The roles each have a file: participating.ts (who is online, deferred and reconnect deliveries and
// their outcomes), controlling.ts (group INVITEs, sessions, legs, conference events), notifications.ts
// (IMDN routing, MESSAGE in). They talk to SIP through the signalling port (signalling.ts); MSRP is the
// project's own endpoint. Every request the PF sends goes to the CSCF (outbound proxy).
import type { Express } from 'express';
import { isValidCpmId } from '../../protocol/cpm/index.js';
import { MsrpEndpoint } from '../../protocol/msrp/index.js';
import type { SendTarget } from '../../protocol/sip/index.js';
import { WireTrace } from '../../protocol/trace/index.js';
import {
  type ControlServer,
  createLogger,
  formatHostPort,
  type HostPort,
  type Logger,
  NodeEvents,
  startControlServer,
  TraceRecorder,
  logWireMessages,
} from '../../runtime/index.js';
import { Backlog } from './backlog.js';
import type { PfConfig } from './config.js';
import { type PfControlSurface, pfControlApp, type ProvisionInput } from './control.js';
import { ControllingFunction } from './controlling.js';
import {
  aorKey,
  createGroup,
  type Group,
  isMember,
  type NewGroupInput,
  type SessionState,
} from './domain/index.js';
import { type ErrorSink, errorSink } from './error-sink.js';
import { InFlight } from './in-flight.js';
import { NotificationRouter } from './notifications.js';
import { ParticipatingFunction } from './participating.js';
import { RegistrationWatch } from './registration-watch.js';
import { SessionRegistry } from './session-registry.js';
import { BuiltInSignalling, type BuiltInSignallingOptions, type PfSignalling } from './signalling.js';
import { drachtioEngine, startDrachtioServer } from './drachtio/index.js';
import {
  applyStoreEffects,
  type BacklogCount,
  DeferredWriter,
  openStores,
  type PfStores,
  WriteBatcher,
} from './store/index.js';
import type { PfGroupState, PfState } from './state.js';

export type { ProvisionInput } from './control.js';
export type { InFlightDelivery } from './in-flight.js';
export { assertedIdentity, readInviteBody } from './incoming-requests.js';
export type { PfGroupState, PfState } from './state.js';

export interface PfOptions {
  logger?: Logger;
  /** Start the control API (default true). */
  control?: boolean;
  now?: () => number;
  /**
   * The SIP engine behind the signalling port (signalling.ts): default the built-in stack. Another engine
   * gets the same options and must record every SIP message it sends or receives on `options.trace`.
   */
  signalling?: (options: BuiltInSignallingOptions) => Promise<PfSignalling>;
}

/** The roles and what they share, once SIP and MSRP are bound. */
interface Roles {
  signalling: PfSignalling;
  msrp: MsrpEndpoint;
  notifications: NotificationRouter;
  controlling: ControllingFunction;
  participating: ParticipatingFunction;
}

export class PfNode implements PfControlSurface {
  readonly config: PfConfig;
  readonly trace = new WireTrace();
  readonly recorder: TraceRecorder;
  readonly events = new NodeEvents('pf');
  readonly logger: Logger;
  readonly registrations: RegistrationWatch;
  readonly stores: PfStores;
  readonly factoryUri: string;
  readonly #now: () => number;
  readonly #sink: ErrorSink;
  readonly #batcher: WriteBatcher;
  readonly #backlog: Backlog;
  readonly #sessions = new SessionRegistry();
  readonly #inFlight: InFlight;
  /** The outbound proxy; mutated in place by setCscf (the signalling reads it per request). */
  readonly #cscf: SendTarget;
  readonly #signallingFactory: PfOptions['signalling'];
  #roles: Roles | undefined;
  #control: ControlServer | undefined;
  #closed = false;

  private constructor(config: PfConfig, options: PfOptions) {
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.#signallingFactory = options.signalling;
    this.logger = options.logger ?? createLogger('pf');
    this.#sink = errorSink(this.logger);
    this.recorder = new TraceRecorder({ node: 'pf', ...config.trace });
    this.recorder.attach(this.trace);
    logWireMessages(this.trace, this.logger); // every SIP and MSRP message, in full, at debug
    this.factoryUri = `sip:conference-factory@${config.domain}`;
    this.#cscf = { transport: 'tcp', address: config.cscf.host, port: config.cscf.port };
    const stores = openStores({ path: config.storePath, now: this.#now });
    if (stores.recovered > 0) this.logger.info('deliveries reset after restart', { count: stores.recovered });
    this.stores = stores;
    this.#batcher = new WriteBatcher(stores.db);
    // Who is online survives a restart (the CSCF refreshes it; no refresh needed to deliver). Its writes join
    // the batcher's transaction: no synchronous commit per third-party REGISTER.
    this.registrations = new RegistrationWatch(this.#now, stores.db, (write) => {
      this.#batcher.run(write).catch(this.#sink('registration not stored'));
    });
    this.#inFlight = new InFlight(this.#now);
    this.#backlog = new Backlog({
      stores,
      writer: new DeferredWriter(stores.deferred, this.#batcher),
      batcher: this.#batcher,
      events: this.events,
      logger: this.logger,
      sink: this.#sink,
      msrpTimeoutMs: config.msrpTimeoutMs,
    });
  }

  /** Open the store, provision the configured groups, bind SIP, MSRP and (unless disabled) the control API. */
  static async start(config: PfConfig, options: PfOptions = {}): Promise<PfNode> {
    const pf = new PfNode(config, options);
    try {
      await pf.#start(options.control ?? true);
    } catch (err) {
      await pf.close();
      throw err;
    }
    return pf;
  }

  async #start(withControl: boolean): Promise<void> {
    const { config } = this;
    for (const spec of config.groups) {
      if (this.stores.groups.get(spec.id)) continue;
      const input: ProvisionInput = { id: spec.id, participants: spec.participants };
      if (spec.subject !== undefined) input.subject = spec.subject;
      if (spec.conversationId !== undefined) input.conversationId = spec.conversationId;
      if (spec.contributionId !== undefined) input.contributionId = spec.contributionId;
      this.provisionGroup(input);
    }
    const listen = this.#signallingFactory ?? this.#engine();
    const signalling = await listen({
      host: config.host,
      advertisedHost: config.advertisedHost,
      udpPort: config.sipUdpPort,
      tcpPort: config.sipTcpPort,
      domain: config.domain,
      t1: config.t1,
      cscf: this.#cscf,
      trace: this.trace,
      logger: this.logger,
    });
    const msrp = await MsrpEndpoint.listen({
      host: config.host,
      port: config.msrpPort,
      advertisedHost: config.advertisedHost,
      trace: this.trace,
      transactionTimeoutMs: config.msrpTimeoutMs,
      maxConnections: config.msrpMaxConnections,
    });
    msrp.on('protocol-error', (err) =>
      this.events.emit('msrp-protocol-error', {
        error: String((err as { message?: unknown }).message ?? err),
      }),
    );
    msrp.on('socket-error', (err) => this.logger.debug('MSRP socket error', { error: err.message }));
    msrp.on('capacity', (report) =>
      this.logger.warn('MSRP connections refused or closed at the cap', report),
    );
    this.#roles = this.#wire(signalling, msrp);
    const { participating, controlling, notifications } = this.#roles;
    signalling.onRegister((req, res) => participating.onRegister(req, res));
    signalling.onInvite((req, res) => controlling.onInvite(req, res));
    signalling.onSubscribe((req, res) => controlling.onSubscribe(req, res));
    signalling.onMessage((req, res) => notifications.onMessage(req, res));
    participating.resumeRecovered();
    if (withControl) {
      this.#control = await startControlServer(pfControlApp(this), {
        host: config.controlHost,
        port: config.controlPort,
        logger: this.logger,
      });
    }
  }

  /** The SIP engine the configuration names (config.sipEngine). */
  #engine(): (options: BuiltInSignallingOptions) => Promise<PfSignalling> {
    const { config } = this;
    if (config.sipEngine === 'builtin') return (o) => BuiltInSignalling.listen(o);
    return drachtioEngine({
      // No server given: start a `drachtio` binary on our address and SIP port, sending its capture to us.
      server:
        config.drachtio ??
        (async (capture) => {
          const server = await startDrachtioServer({
            host: config.host,
            sipPort: config.sipTcpPort,
            capture,
            logger: this.logger,
          });
          return { admin: server.admin, version: server.version, close: () => server.close() };
        }),
      capture: config.drachtioCapture,
    });
  }

  /** The roles, each given what it uses; dependencies run participating → controlling → notifications. */
  #wire(signalling: PfSignalling, msrp: MsrpEndpoint): Roles {
    const shared = {
      signalling,
      msrp,
      stores: this.stores,
      batcherRun: <T>(work: () => T) => this.#batcher.run(work),
      registrations: this.registrations,
      backlog: this.#backlog,
      sessions: this.#sessions,
      inFlight: this.#inFlight,
      events: this.events,
      logger: this.logger,
      sink: this.#sink,
      now: this.#now,
    };
    const notifications = new NotificationRouter(shared);
    const controlling = new ControllingFunction({
      ...shared,
      domain: this.config.domain,
      factoryUri: this.factoryUri,
      idleTimeoutMs: this.config.idleTimeoutMs,
      notifications,
    });
    const participating = new ParticipatingFunction({
      ...shared,
      retryBaseDelayMs: this.config.retryBaseDelayMs,
      retryMaxDelayMs: this.config.retryMaxDelayMs,
      msrpTimeoutMs: this.config.msrpTimeoutMs,
      cscf: this.#cscf,
      controlling,
    });
    return { signalling, msrp, notifications, controlling, participating };
  }

  get #started(): Roles {
    if (!this.#roles) throw new Error('the PF is not started');
    return this.#roles;
  }

  // ---- addresses ----

  get sipAddresses(): PfState['sip'] {
    return this.#started.signalling.addresses;
  }

  /** The URI the CSCF routes conference URIs and third-party REGISTERs to (`sip:127.0.0.1:5070;transport=tcp`). */
  get sipUri(): string {
    return this.#started.signalling.sipUri;
  }

  get msrpAddress(): { address: string; port: number } {
    const { msrp } = this.#started;
    return { address: msrp.host, port: msrp.port };
  }

  get controlUrl(): string | undefined {
    return this.#control?.url;
  }

  /** Point the PF at another CSCF (e.g. one started after the PF, whose port was not known yet). */
  setCscf(cscf: HostPort): void {
    this.#cscf.address = cscf.host;
    this.#cscf.port = cscf.port;
    this.#roles?.participating.cscfChanged();
  }

  // ---- groups (control API and configuration) ----

  /** Create a group (POST /groups, --group). Throws RangeError / StoreError on bad input or a taken id. */
  provisionGroup(input: ProvisionInput): Group {
    const participants = input.participants.map((p) => this.#memberUri(p));
    const creator = input.creator === undefined ? participants[0] : this.#memberUri(input.creator);
    // Everything here goes into SIP headers and bodies of every invitation for the group: checked once.
    for (const [name, id] of [
      ['conversationId', input.conversationId],
      ['contributionId', input.contributionId],
    ] as const) {
      if (id !== undefined && !isValidCpmId(id)) throw new RangeError(`${name} must be an RFC 3261 token`);
    }
    if (input.subject !== undefined && /[\r\n\0]/.test(input.subject)) {
      throw new RangeError('subject must be one line (no CR, LF or NUL)');
    }
    if (creator === undefined) throw new RangeError('a group needs at least one participant');
    const init: NewGroupInput = {
      creator: { uri: creator },
      participants: participants.map((uri) => ({ uri })),
      domain: this.config.domain,
      now: this.#now(),
    };
    if (input.id !== undefined) init.id = input.id;
    if (input.subject !== undefined) init.subject = input.subject;
    if (input.conversationId !== undefined) init.conversationId = input.conversationId;
    if (input.contributionId !== undefined) init.contributionId = input.contributionId;
    const group = this.stores.groups.create(createGroup(init));
    this.events.emit('group-created', {
      groupId: group.id,
      conferenceUri: group.conferenceUri,
      via: 'provisioning',
    });
    return group;
  }

  /**
   * POST /groups/:id/participants: add members (or re-admit removed ones). The others learn it as the CR has
   * them learn it: conference-info to subscribers, the group state object on connected legs (D1.vii), and
   * offline members with their next deferred delivery. Undefined when the group does not exist.
   */
  addParticipants(groupId: string, users: string[]): Group | undefined {
    const uris = users.map((u) => this.#memberUri(u));
    const group = this.stores.groups.addParticipants(
      groupId,
      uris.map((uri) => ({ uri })),
      this.#now(),
    );
    if (!group) return undefined;
    this.events.emit('participants-added', { groupId, users: uris });
    this.#roles?.controlling.membersAdded(group, uris);
    return group;
  }

  /**
   * DELETE /groups/:id/participants/:user: remove a member, as its 603 would (protocol profile §4): its backlog
   * is dropped, its leg ends, the others are told. Undefined when the group or the member does not exist.
   */
  async removeParticipant(groupId: string, user: string): Promise<Group | undefined> {
    const uri = this.#aor(user);
    const before = this.stores.groups.get(groupId);
    if (!before || !isMember(before, uri)) return undefined;
    const now = this.#now();
    await this.#batcher.run(() =>
      applyStoreEffects(
        this.stores,
        [
          { type: 'remove-participant', groupId, participant: uri },
          { type: 'drop-backlog', recipient: uri, groupId },
        ],
        now,
      ),
    );
    const group = this.stores.groups.get(groupId)!;
    this.#roles?.controlling.participantRemoved(group, uri);
    return group;
  }

  hasGroup(groupId: string): boolean {
    return this.stores.groups.get(groupId) !== undefined;
  }

  sessionState(groupId: string): SessionState {
    return this.#sessions.state(groupId);
  }

  /** POST /groups/:id/end: BYE every participant (no Reason); the group persists, its session is inactive. */
  endSession(groupId: string): boolean {
    return this.#roles?.controlling.endSession(groupId) ?? false;
  }

  /** DELETE /groups/:id: BYE with Reason 410 Gone to everyone connected, then forget the group and its backlog. */
  async deleteGroup(groupId: string): Promise<boolean> {
    if (!this.stores.groups.get(groupId)) return false;
    this.#roles?.controlling.groupDeleted(groupId);
    await this.#batcher.run(() => this.stores.groups.delete(groupId));
    this.events.emit('group-deleted', { groupId });
    return true;
  }

  /** GET /backlog/:user: the stored items waiting for a user (bodies as UTF-8 text). */
  backlog(user: string): { user: string; groups: BacklogCount[]; items: Record<string, unknown>[] } {
    const aor = this.#aor(user);
    const groups = this.stores.deferred.backlogOf(aor);
    const items = groups.flatMap((g) =>
      this.stores.deferred.peek(aor, g.groupId).map((i) => ({
        id: i.id,
        groupId: i.groupId,
        kind: i.kind,
        messageId: i.messageId,
        sender: i.sender,
        contentType: i.contentType,
        storedAt: i.storedAt,
        body: i.body.toString('utf8'),
      })),
    );
    return { user: aor, groups, items };
  }

  state(): PfState {
    const roles = this.#started;
    const groups = this.stores.groups.list().map(
      (g): PfGroupState => ({
        ...g,
        session: this.sessionState(g.id),
        connected: this.#sessions.connectedUsers(g.id),
        subscribers: roles.controlling.subscribers(g.id),
      }),
    );
    return {
      node: 'pf',
      domain: this.config.domain,
      conferenceFactory: this.factoryUri,
      sip: roles.signalling.addresses,
      sipEngine: roles.signalling.engine,
      msrp: this.msrpAddress,
      cscf: formatHostPort({ host: this.#cscf.address, port: this.#cscf.port }),
      store: this.stores.db.path,
      idleTimeoutMs: this.config.idleTimeoutMs,
      groups,
      online: this.registrations.online().map((e) => e.user),
      backlog: this.stores.deferred.counts(),
      deliveries: this.stores.deferred.deliveryRecords(),
      inFlight: this.#inFlight.list(),
      retries: roles.participating.retries(),
    };
  }

  /** A participant's AoR, refused (RangeError) unless it is a SIP URI that can go into headers as is. */
  #memberUri(user: string): string {
    const uri = this.#aor(user);
    // aorKey returns a parsed AoR, or the trimmed input when it does not parse: no white space, no delimiters.
    if (!/^sips?:[^\s<>"\0]+$/.test(uri))
      throw new RangeError(`not a SIP address: ${JSON.stringify(user.slice(0, 80))}`);
    return uri;
  }

  #aor(user: string): string {
    const trimmed = user.trim();
    return aorKey(/^sips?:/i.test(trimmed) ? trimmed : `sip:${trimmed}@${this.config.domain}`);
  }

  /** Control API app (exposed for tests that mount it without a server). */
  controlApp(): Express {
    return pfControlApp(this);
  }

  /** End every session (BYE), flush the store, close sockets and the database. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const roles = this.#roles;
    roles?.participating.close();
    roles?.controlling.close();
    await this.#batcher.close().catch(this.#sink('store writes not flushed at close'));
    await roles?.signalling.close();
    await roles?.msrp.close();
    await this.#control?.close();
    this.recorder.close();
    this.stores.db.close();
  }
}
