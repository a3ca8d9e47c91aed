// The mock CPM Participating + Controlling Function node (architecture.md "PF"; spec clause PF; protocol-notes
// §3, §4, §6, §7): hosts groups (conference factory + conference URIs), runs group sessions (MSRP conference),
// stores messages for participants not connected, and invites a returning user for deferred delivery
// (inactive session: cpm.deferred, sendonly) or reconnection (active session: cpm.session, sendrecv).
// It talks to clients only through the CSCF: every request it sends goes to the CSCF (outbound proxy).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Express } from 'express';
import { getHeader, parseMultipart, parseResourceLists, allEntries } from '../../protocol/bodies/index.js';
import { cpimTo, parseCpim } from '../../protocol/cpim/index.js';
import {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  ICSI_CPM_SESSION,
  isValidCpmId,
} from '../../protocol/cpm/index.js';
import { MsrpEndpoint, type MsrpSession } from '../../protocol/msrp/index.js';
import { answerSetup, type MsrpMediaDescription, parseMsrpSdp } from '../../protocol/sdp/index.js';
import {
  formatUri,
  type InviteServerResponse,
  parseNameAddr,
  type InviteSession,
  type SendTarget,
  type ServerResponse,
  type SipRequest,
  SipRequestError,
  SipTransportLayer,
  type SubscribeServerResponse,
  UserAgent,
} from '../../protocol/sip/index.js';
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
} from '../../runtime/index.js';
import { ConferenceEvents, conferenceUser } from './conference-events.js';
import type { PfConfig } from './config.js';
import { pfControlApp } from './control.js';
import { DeliveryInterrupted, flushBacklog } from './deferred-delivery.js';
import {
  aorKey,
  classifyGroupInvite,
  type CpimPayloadInfo,
  createGroup,
  decideInvitationOutcome,
  type DeliveryInvitation,
  type DeliveryRecord,
  describeCpimPayload,
  type Group,
  type GroupLookup,
  groupStateBody,
  type InvitationResult,
  isMember,
  members,
  type NewGroupInput,
  outcomeLabel,
  participantRemovedNotice,
  planDeliveries,
  type SessionState,
} from './domain/index.js';
import { GONE_REASON, GroupSession, type GroupSessionHost, type SessionEndReason } from './group-session.js';
import {
  answerSdp,
  focusContact,
  type InvitationIcsi,
  invitationHeaders,
  type LocalMsrp,
  notificationMessageHeaders,
  offerSdp,
  PF_ACCEPT_TYPES,
} from './invitations.js';
import { Leg, type LegMode } from './leg.js';
import { RegistrationWatch, registerExpires } from './registration-watch.js';
import {
  applyStoreEffects,
  backlogGroupsFor,
  type BacklogCount,
  type DeferredItemInput,
  DeferredWriter,
  openStores,
  type PfStores,
  WriteBatcher,
} from './store/index.js';

export interface PfOptions {
  logger?: Logger;
  /** Start the control API (default true). */
  control?: boolean;
  now?: () => number;
}

export interface PfGroupState extends Group {
  session: SessionState;
  /** Users with a leg in the live session. */
  connected: string[];
  /** Users subscribed to the conference event package. */
  subscribers: string[];
}

export interface InFlightDelivery {
  user: string;
  groupId: string;
  /**
   * `deferred` (cpm.deferred, sendonly), `reconnect` (cpm.session into the live session), `session-invite`,
   * `joining` (the user's own re-join INVITE is being answered).
   */
  kind: 'deferred' | 'reconnect' | 'session-invite' | 'joining';
  since: number;
}

export interface PfState {
  node: 'pf';
  domain: string;
  conferenceFactory: string;
  sip: { udp?: { address: string; port: number }; tcp?: { address: string; port: number } };
  msrp: { address: string; port: number };
  cscf: string;
  store: string;
  idleTimeoutMs: number;
  groups: PfGroupState[];
  online: string[];
  backlog: BacklogCount[];
  /** Per (recipient, group): pending / delivering / stopped-481 (D1.iv, A2.ii). */
  deliveries: DeliveryRecord[];
  inFlight: InFlightDelivery[];
  /** Deliveries the PF will try again on its own (after a failure), with the time of the next attempt. */
  retries: Array<{ user: string; groupId: string; attempt: number; reason: string; at?: string }>;
}

/** Input of POST /groups and provisioning from configuration. */
export interface ProvisionInput {
  id?: string;
  /** AoRs or user names; the first is the creator unless `creator` is given. */
  participants: string[];
  creator?: string;
  subject?: string;
  conversationId?: string;
  contributionId?: string;
}

interface InviteOptions {
  icsi: InvitationIcsi;
  direction: 'sendrecv' | 'sendonly';
  /** protocol-notes §7 "Create": Referred-By = the creator. */
  referredBy?: string;
}

const key = (user: string, groupId: string) => `${user}\u0000${groupId}`;

export class PfNode {
  readonly config: PfConfig;
  readonly trace = new WireTrace();
  readonly recorder: TraceRecorder;
  readonly events = new NodeEvents('pf');
  readonly logger: Logger;
  readonly registrations: RegistrationWatch;
  readonly stores: PfStores;
  readonly factoryUri: string;
  readonly #now: () => number;
  readonly #batcher: WriteBatcher;
  readonly #writer: DeferredWriter;
  /** The outbound proxy; mutated in place by setCscf (the UA copies it per request). */
  readonly #cscf: SendTarget;
  readonly #sessions = new Map<string, GroupSession>();
  readonly #inFlight = new Map<string, InFlightDelivery>();
  /** Deliveries the PF retries on its own (#scheduleRetry), by user and group. */
  readonly #retries = new Map<
    string,
    {
      user: string;
      groupId: string;
      attempt: number;
      at: number;
      reason: string;
      timer: NodeJS.Timeout | undefined;
    }
  >();
  readonly #deferredLegs = new Set<Leg>();
  readonly #pendingWrites = new Map<string, Set<Promise<unknown>>>();
  readonly #conference: ConferenceEvents;
  readonly #sessionHost: GroupSessionHost;
  #transport!: SipTransportLayer;
  #ua!: UserAgent;
  #msrp!: MsrpEndpoint;
  #control: ControlServer | undefined;
  /** The CSCF host's addresses when it is a name (see #fromCscf). */
  #cscfResolved: { at: number; addresses: Set<string> } | undefined;
  #closed = false;

  private constructor(config: PfConfig, options: PfOptions) {
    this.config = config;
    this.#now = options.now ?? Date.now;
    this.logger = options.logger ?? createLogger('pf');
    this.recorder = new TraceRecorder({ node: 'pf' });
    this.recorder.attach(this.trace);
    this.factoryUri = `sip:conference-factory@${config.domain}`;
    this.#cscf = { transport: 'tcp', address: config.cscf.host, port: config.cscf.port };
    const stores = openStores({ path: config.storePath, now: this.#now });
    if (stores.recovered > 0) this.logger.info('deliveries reset after restart', { count: stores.recovered });
    this.stores = stores;
    // Who is online survives a restart (the CSCF refreshes it; no refresh needed to deliver).
    this.registrations = new RegistrationWatch(this.#now, stores.db);
    this.#batcher = new WriteBatcher(stores.db);
    this.#writer = new DeferredWriter(stores.deferred, this.#batcher);
    this.#conference = new ConferenceEvents((err) =>
      this.logger.debug('conference NOTIFY failed', { error: String(err) }),
    );
    this.#sessionHost = {
      group: (id) => this.stores.groups.get(id),
      store: (groupId, recipients, body, contentType, info) =>
        this.#store(groupId, recipients, body, contentType, info),
      routeNotification: (groupId, body, contentType, info) =>
        this.#routeNotification(groupId, body, contentType, info),
      rosterChanged: (groupId, user, connected) => this.#rosterChanged(groupId, user, connected),
      ended: (session, reason) => this.#sessionEnded(session, reason),
      log: (type, data) => this.events.emit(type, data),
    };
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
    const advertise =
      config.advertisedHost === config.host ? {} : { advertise: { address: config.advertisedHost } };
    this.#transport = await SipTransportLayer.listen({
      udp: { host: config.host, port: config.sipUdpPort, ...advertise },
      tcp: { host: config.host, port: config.sipTcpPort, ...advertise },
      trace: this.trace,
      // The CSCF keeps one connection to the PF for all users' requests.
      idleTimeoutMs: 0,
    });
    this.#transport.on('error', (err) => this.logger.warn('SIP transport error', { error: err.message }));
    this.#transport.on('malformed', (m) =>
      this.logger.info('malformed SIP input', {
        from: `${m.source.remote.address}:${m.source.remote.port}`,
        error: m.error.message,
        responded: m.responded,
      }),
    );
    this.#ua = new UserAgent({
      transport: this.#transport,
      timers: { t1: config.t1 },
      aor: `sip:pf@${config.domain}`,
      outboundProxy: this.#cscf,
      defaultTransport: 'tcp',
      // protocol-notes §7 "Create": the factory INVITE carries Require: recipient-list-invite (RFC 5366).
      supported: ['recipient-list-invite'],
      userAgent: 'cpm-lab-pf',
    });
    this.#ua.onError((err) => this.logger.debug('SIP UA error', { error: String(err) }));
    this.#ua.on('REGISTER', (req, res) => this.#onRegister(req, res));
    this.#ua.on('INVITE', (req, res) => this.#onInvite(req, res));
    this.#ua.on('SUBSCRIBE', (req, res) => this.#onSubscribe(req, res));
    this.#ua.on('MESSAGE', (req, res) => this.#onMessage(req, res));
    this.#msrp = await MsrpEndpoint.listen({
      host: config.host,
      port: config.msrpPort,
      advertisedHost: config.advertisedHost,
      trace: this.trace,
      transactionTimeoutMs: config.msrpTimeoutMs,
    });
    this.#msrp.on('protocol-error', (err) =>
      this.events.emit('msrp-protocol-error', {
        error: String((err as { message?: unknown }).message ?? err),
      }),
    );
    this.#msrp.on('socket-error', (err) => this.logger.debug('MSRP socket error', { error: err.message }));
    this.#msrp.on('capacity', (report) =>
      this.logger.warn('MSRP connections refused or closed at the cap', report),
    );
    // A restarted PF delivers to the users it knows to be online without waiting for their next REGISTER.
    const recovered = this.registrations.online();
    if (recovered.length > 0)
      this.logger.info('registrations recovered from the store', { users: recovered.length });
    for (const { user } of recovered) this.#planDeliveries(user);
    if (withControl) {
      this.#control = await startControlServer(pfControlApp(this), {
        host: config.controlHost,
        port: config.controlPort,
        logger: this.logger,
      });
    }
  }

  // ---- addresses ----

  get sipAddresses(): PfState['sip'] {
    return this.#transport.addresses;
  }

  /** The URI the CSCF routes conference URIs and third-party REGISTERs to (`sip:127.0.0.1:5070;transport=tcp`). */
  get sipUri(): string {
    const tcp = this.#transport.sentBy('tcp')!;
    return `sip:${tcp.address}:${tcp.port};transport=tcp`;
  }

  get msrpAddress(): { address: string; port: number } {
    return { address: this.#msrp.host, port: this.#msrp.port };
  }

  get controlUrl(): string | undefined {
    return this.#control?.url;
  }

  /** Point the PF at another CSCF (e.g. one started after the PF, whose port was not known yet). */
  setCscf(cscf: HostPort): void {
    this.#cscf.address = cscf.host;
    this.#cscf.port = cscf.port;
    this.#cscfResolved = undefined;
  }

  /**
   * Whether a request came from the CSCF's address (its host resolved; a host name is looked up again at most
   * every 5 s, so a CSCF container that came up later, or with a new address, is recognised).
   */
  async #fromCscf(address: string): Promise<boolean> {
    const host = this.#cscf.address;
    const now = this.#now();
    if (
      this.#cscfResolved === undefined ||
      (!this.#cscfResolved.addresses.has(address) && now - this.#cscfResolved.at > 5000)
    ) {
      try {
        const found = await lookup(host, { all: true });
        this.#cscfResolved = { at: now, addresses: new Set(found.map((a) => a.address)) };
      } catch {
        this.#cscfResolved = { at: now, addresses: new Set() };
      }
    }
    return this.#cscfResolved.addresses.has(address);
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
    const connected = new Set(this.#sessions.get(groupId)?.connectedUsers() ?? []);
    this.#conference.changed(
      group,
      uris.map((uri) => conferenceUser(group, uri, connected.has(uri))),
    );
    this.#sendGroupStateToConnected(group);
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
    this.#participantRemoved(group, uri);
    return group;
  }

  sessionState(groupId: string): SessionState {
    return this.#sessions.get(groupId)?.active ? 'active' : 'inactive';
  }

  /** POST /groups/:id/end: BYE every participant (no Reason); the group persists, its session is inactive. */
  endSession(groupId: string): boolean {
    const session = this.#sessions.get(groupId);
    if (!session?.active) return false;
    session.end('operator');
    return true;
  }

  /** DELETE /groups/:id: BYE with Reason 410 Gone to everyone connected, then forget the group and its backlog. */
  async deleteGroup(groupId: string): Promise<boolean> {
    if (!this.stores.groups.get(groupId)) return false;
    this.#sessions.get(groupId)?.end('deleted');
    for (const leg of [...this.#deferredLegs]) if (leg.groupId === groupId) void leg.end(GONE_REASON);
    this.#conference.terminateAll(groupId, 'noresource');
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
    const groups = this.stores.groups.list().map(
      (g): PfGroupState => ({
        ...g,
        session: this.sessionState(g.id),
        connected: this.#sessions.get(g.id)?.connectedUsers() ?? [],
        subscribers: this.#conference.subscribers(g.id),
      }),
    );
    return {
      node: 'pf',
      domain: this.config.domain,
      conferenceFactory: this.factoryUri,
      sip: this.#transport.addresses,
      msrp: this.msrpAddress,
      cscf: formatHostPort({ host: this.#cscf.address, port: this.#cscf.port }),
      store: this.stores.db.path,
      idleTimeoutMs: this.config.idleTimeoutMs,
      groups,
      online: this.registrations.online().map((e) => e.user),
      backlog: this.stores.deferred.counts(),
      deliveries: this.stores.deferred.deliveryRecords(),
      inFlight: [...this.#inFlight.values()],
      retries: [...this.#retries.values()].map(({ user, groupId, attempt, at, reason, timer }) => ({
        user,
        groupId,
        attempt,
        reason,
        ...(timer === undefined ? {} : { at: new Date(at).toISOString() }),
      })),
    };
  }

  // ---- third-party registration (protocol-notes §3; clause PF) ----

  #onRegister(req: SipRequest, res: ServerResponse): void {
    // Only the CSCF tells the PF who is online (as an S-CSCF does for its application servers). An address is
    // checked at once, so registrations are taken in the order they arrive; a host name may need a lookup.
    const source = res.source.remote.address.replace(/^::ffff:/, '');
    const refuse = () => {
      void res.send(403, { reason: 'Third-party REGISTER only from the CSCF' });
      this.events.emit('registration-refused', { source, reason: 'not the CSCF' });
    };
    const host = this.#cscf.address;
    if (isIP(host)) {
      if (host === source) this.#takeRegister(req, res);
      else refuse();
      return;
    }
    void this.#fromCscf(source).then((ok) => (ok ? this.#takeRegister(req, res) : refuse()));
  }

  /** A third-party REGISTER from the CSCF (protocol profile §3): the user's registration state changes. */
  #takeRegister(req: SipRequest, res: ServerResponse): void {
    let user: string;
    let contactExpires: string | undefined;
    try {
      user = aorKey(formatUri(req.to.uri));
      const param = req.contacts[0]?.params.get('expires');
      contactExpires = typeof param === 'string' ? param : undefined;
    } catch {
      void res.send(400, { reason: 'Bad To or Contact' });
      return;
    }
    const expires = registerExpires(req.get('expires'), contactExpires);
    if (expires === undefined) {
      void res.send(400, { reason: 'Bad Expires' });
      return;
    }
    const change = this.registrations.update(user, expires);
    void res.send(200, { headers: [['Expires', expires]] });
    this.events.emit('registration', { user, state: change.state, expires });
    if (change.state === 'online') this.#planDeliveries(user, { returning: change.returning === true });
  }

  /**
   * Clause PF: a user came online: invite it once per group holding stored items, and (when it returns after
   * being offline) into every active session of its groups even with nothing stored (protocol profile §4).
   * `only` plans one group (a message just stored for a registered member who is not connected).
   */
  #planDeliveries(user: string, options: { returning?: boolean; only?: string; retry?: boolean } = {}): void {
    let plan: ReturnType<typeof planDeliveries>;
    try {
      const returning = options.returning === true;
      const scope = options.only === undefined ? {} : { only: options.only };
      plan = planDeliveries(
        { user, state: 'online', returning },
        backlogGroupsFor(this.stores, user, (id) => this.sessionState(id), {
          // A returning user is reconnected to the active sessions (only the node knows which are active).
          ...(returning
            ? { activeGroups: [...this.#sessions.keys()].filter((id) => this.#sessions.get(id)?.active) }
            : {}),
          ...scope,
        }),
      );
    } catch (err) {
      this.logger.error('delivery planning failed', { user, error: String(err) });
      return;
    }
    for (const skipped of plan.skipped) {
      if (skipped.reason !== 'no-backlog') this.events.emit('delivery-skipped', { user, ...skipped });
    }
    for (const invitation of plan.invitations) {
      // Never two deliveries to the same user and group at once.
      if (this.#inFlight.has(key(user, invitation.groupId))) {
        this.events.emit('delivery-skipped', {
          user,
          groupId: invitation.groupId,
          reason: 'already-delivering',
        });
        continue;
      }
      const live = this.#sessions.get(invitation.groupId)?.leg(user);
      if (live) {
        this.events.emit('delivery-skipped', { user, groupId: invitation.groupId, reason: 'connected' });
        continue;
      }
      void this.#deliver(invitation);
    }
  }

  /** One delivery run (protocol-notes §4): INVITE, outcome, MSRP, group state, backlog, BYE (deferred). */
  async #deliver(invitation: DeliveryInvitation): Promise<void> {
    const { recipient: user, groupId } = invitation;
    const k = key(user, groupId);
    const deferred = invitation.direction === 'sendonly';
    this.#inFlight.set(k, { user, groupId, kind: deferred ? 'deferred' : 'reconnect', since: this.#now() });
    const retry = this.#retries.get(k);
    if (retry) {
      // This delivery supersedes a scheduled retry (its attempt count goes on until one succeeds).
      clearTimeout(retry.timer);
      retry.timer = undefined;
    }
    this.events.emit('delivery-started', {
      user,
      groupId,
      icsi: invitation.icsi,
      direction: invitation.direction,
      pending: invitation.pending,
    });
    let leg: Leg | undefined;
    try {
      const group = this.stores.groups.get(groupId);
      if (!group) return;
      const outcome = await this.#invite(group, user, {
        icsi: invitation.icsi,
        direction: invitation.direction,
      });
      if (!outcome.ok) {
        await this.#applyOutcome(invitation, outcome.result);
        return;
      }
      leg = outcome.leg;
      const decision = await this.#applyOutcome(invitation, { kind: 'response', status: 200 });
      if (decision !== 'deliver') {
        await leg.end();
        return;
      }
      const session = this.#sessions.get(groupId);
      if (!deferred && session?.active) {
        // A2.i: the user joins the live session; its backlog first, then live traffic.
        session.addLeg(leg);
        const delivered = await this.#flushThenLive(leg);
        await this.#applyOutcome(invitation, { kind: 'delivery-complete' });
        this.events.emit('delivery-finished', { user, groupId, delivered, mode: 'reconnect' });
        return;
      }
      // D1.i: a deferred session (or the live session ended meanwhile): group state object first (D1.vii),
      // the backlog, then BYE. A sendrecv leg whose session ended while it was being set up still takes the
      // user's messages: they are stored for the others, never answered 200 and dropped.
      this.#trackDeferredLeg(leg);
      await leg.bound(this.config.msrpTimeoutMs);
      const delivered = await flushBacklog(this.#backlogSource(), leg, {
        groupStateFirst: this.stores.groups.get(groupId) ?? group,
        onDelivered: (item) =>
          this.events.emit('item-delivered', { user, groupId, messageId: item.messageId }),
      });
      await leg.end();
      await this.#applyOutcome(invitation, { kind: 'delivery-complete' });
      this.events.emit('delivery-finished', { user, groupId, delivered, mode: 'deferred' });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (leg && !leg.ended) await leg.end();
      await this.#applyOutcome(invitation, { kind: 'delivery-interrupted', detail }).catch(() => undefined);
      this.events.emit('delivery-interrupted', { user, groupId, detail });
    } finally {
      this.#inFlight.delete(k);
    }
  }

  /** Apply an invitation's result (decideInvitationOutcome) to the store and carry out its node effects. */
  async #applyOutcome(invitation: DeliveryInvitation, result: InvitationResult): Promise<string | undefined> {
    const group = this.stores.groups.get(invitation.groupId);
    if (!group) return undefined; // deleted meanwhile
    const now = this.#now();
    const decision = decideInvitationOutcome({ invitation, group, result, now });
    // A series of retries ends with a delivery, a removal (603) or a stop (481).
    if (
      decision.disposition === 'done' ||
      decision.disposition === 'removed' ||
      decision.disposition === 'stopped'
    ) {
      clearTimeout(this.#retries.get(key(invitation.recipient, invitation.groupId))?.timer);
      this.#retries.delete(key(invitation.recipient, invitation.groupId));
    }
    try {
      await this.#batcher.run(() => applyStoreEffects(this.stores, decision.storeEffects, now));
    } catch (err) {
      this.logger.warn('invitation outcome not stored', { groupId: invitation.groupId, error: String(err) });
    }
    this.events.emit('invitation-outcome', {
      user: invitation.recipient,
      groupId: invitation.groupId,
      outcome: outcomeLabel(result),
      disposition: decision.disposition,
    });
    for (const effect of decision.nodeEffects) {
      switch (effect.type) {
        case 'notify-participant-removed':
          this.#participantRemoved(effect.group, effect.removed);
          break;
        case 'delivery-stopped':
          this.events.emit('delivery-stopped', {
            user: effect.recipient,
            groupId: effect.groupId,
            reason: effect.reason,
          });
          break;
        case 'retry-at-next-registration':
          this.events.emit('delivery-deferred', {
            user: effect.recipient,
            groupId: effect.groupId,
            reason: effect.reason,
          });
          // 480 means "not now" from the user: its next registration asks again. Anything else (no answer,
          // 408, 5xx, a lost MSRP connection) is retried by the PF itself, with backoff.
          if (!/^480\b/.test(effect.reason))
            this.#scheduleRetry(effect.recipient, effect.groupId, effect.reason);
          break;
        case 'start-delivery':
          break;
      }
    }
    return decision.disposition;
  }

  /** protocol-notes §4 (603): tell the remaining members: conference-info partial NOTIFY + group state object. */
  #participantRemoved(group: Group, removed: string): void {
    this.events.emit('participant-removed', { groupId: group.id, user: removed });
    this.#conference.notifyEach(group, (version) => participantRemovedNotice(group, removed, version));
    this.#sendGroupStateToConnected(group);
    void this.#sessions.get(group.id)?.leg(removed)?.end();
  }

  /** D1.vii: the current group state object to every participant taking live traffic in the session. */
  #sendGroupStateToConnected(group: Group): void {
    const session = this.#sessions.get(group.id);
    if (!session?.active) return;
    const { body, contentType } = groupStateBody(group);
    for (const user of session.connectedUsers()) {
      const leg = session.leg(user);
      if (leg?.live) leg.msrp.send(body, { contentType }).catch(() => undefined);
    }
  }

  // ---- outgoing INVITEs (protocol-notes §4, §7) ----

  /**
   * INVITE `user` to `group` with an SDP offer (a=setup:actpass: the client answers active and connects after
   * ACK, or answers passive and we connect). Resolves with the leg on 2xx, or the failure as an InvitationResult.
   */
  async #invite(
    group: Group,
    user: string,
    options: InviteOptions,
  ): Promise<{ ok: true; leg: Leg } | { ok: false; result: InvitationResult }> {
    const msrp = this.#msrp.createSession({ setup: 'passive', acceptTypes: PF_ACCEPT_TYPES });
    let session: InviteSession;
    try {
      const init: Parameters<typeof invitationHeaders>[0] = { group, icsi: options.icsi };
      if (options.referredBy !== undefined) init.referredBy = options.referredBy;
      session = await this.#ua.invite(user, {
        from: `<${group.conferenceUri}>`,
        to: `<${user}>`,
        headers: invitationHeaders(init),
        body: offerSdp(this.#localMsrp(msrp), options.direction),
        contentType: 'application/sdp',
      }).session;
    } catch (err) {
      msrp.close();
      if (err instanceof SipRequestError && err.localFailure === undefined) {
        return { ok: false, result: { kind: 'response', status: err.status, reason: err.reason } };
      }
      return {
        ok: false,
        result: { kind: 'transport-failure', detail: err instanceof Error ? err.message : String(err) },
      };
    }
    // Bind before anything else runs: the client connects right after our ACK (protocol-notes §4).
    let answer: MsrpMediaDescription | undefined;
    try {
      answer = parseMsrpSdp(session.remoteBody);
    } catch {
      answer = undefined;
    }
    // RFC 4145 §4.1: our actpass lets the answerer pick: active (or no a=setup, which means active) → the
    // client connects and we wait; passive → we connect. actpass is not a legal answer.
    if (!answer || answer.setup === 'actpass') {
      msrp.close();
      void session.bye().catch(() => undefined);
      return { ok: false, result: { kind: 'delivery-interrupted', detail: 'unusable SDP answer' } };
    }
    msrp
      .start(answer.path.join(' '), answer.setup === 'passive' ? 'active' : 'passive')
      .catch(() => undefined);
    const mode: LegMode = options.direction === 'sendonly' ? 'deferred' : 'session';
    return { ok: true, leg: new Leg({ user, groupId: group.id, sip: session, msrp, mode }) };
  }

  /** protocol-notes §7: invite a member into the (re)started session; backlog first, then live traffic. */
  async #inviteToSession(group: Group, user: string, referredBy?: string): Promise<void> {
    const k = key(user, group.id);
    if (this.#inFlight.has(k)) return;
    this.#inFlight.set(k, { user, groupId: group.id, kind: 'session-invite', since: this.#now() });
    try {
      const options: InviteOptions = { icsi: ICSI_CPM_SESSION, direction: 'sendrecv' };
      if (referredBy !== undefined) options.referredBy = referredBy;
      const outcome = await this.#invite(group, user, options);
      if (!outcome.ok) {
        this.events.emit('session-invite-failed', {
          user,
          groupId: group.id,
          outcome: outcomeLabel(outcome.result),
        });
        return;
      }
      const session = this.#sessions.get(group.id);
      if (!session?.active) {
        // The session ended meanwhile: whatever the client manages to send before our BYE is stored.
        this.#trackDeferredLeg(outcome.leg);
        await outcome.leg.end();
        return;
      }
      this.events.emit('session-invite-accepted', { user, groupId: group.id });
      session.addLeg(outcome.leg);
      await this.#flushThenLive(outcome.leg).catch(() => undefined);
    } finally {
      this.#inFlight.delete(k);
    }
  }

  /**
   * A2.i: a session leg gets its backlog first, then live traffic. Records the delivery (finished, or back to
   * pending when interrupted). Resolves with the number of items delivered; rejects with DeliveryInterrupted.
   */
  async #flushThenLive(leg: Leg): Promise<number> {
    const { user, groupId } = leg;
    try {
      await leg.bound(this.config.msrpTimeoutMs);
      const delivered = await flushBacklog(this.#backlogSource(), leg, {
        onDelivered: (item) =>
          this.events.emit('item-delivered', { user, groupId, messageId: item.messageId }),
      });
      if (leg.ended) throw new DeliveryInterrupted(`session ended (${leg.ended})`, delivered);
      leg.live = true;
      this.events.emit('participant-live', { user, groupId, delivered });
      if (delivered > 0) {
        await this.#batcher
          .run(() => this.stores.deferred.finishDelivery(user, groupId))
          .catch(() => undefined);
      }
      return delivered;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (!leg.ended) await leg.end();
      if (this.stores.deferred.pendingCount(user, groupId) > 0) {
        await this.#writer
          .setDeliveryStatus(user, groupId, 'pending', { reason: `delivery interrupted: ${detail}` })
          .catch(() => undefined);
      }
      throw err instanceof DeliveryInterrupted ? err : new DeliveryInterrupted(detail, 0, { cause: err });
    }
  }

  #backlogSource() {
    return {
      store: this.stores.deferred,
      writer: this.#writer,
      pendingWrites: (user: string, groupId: string) => {
        const set = this.#pendingWrites.get(key(user, groupId));
        return set && set.size > 0 ? Promise.allSettled([...set]).then(() => undefined) : undefined;
      },
    };
  }

  /**
   * A leg outside any live session: a deferred (sendonly) one, or a sendrecv one whose session ended while it
   * was set up. D1.ii wants IMDNs over SIP MESSAGE, but one sent over MSRP is routed too; a chat message on a
   * sendrecv leg (the client was told the session is active, A2.i) is stored for the other members.
   */
  #trackDeferredLeg(leg: Leg): void {
    this.#deferredLegs.add(leg);
    leg.once('ended', () => this.#deferredLegs.delete(leg));
    // The final 200 waits until a notification is relayed or the item is committed (no loss).
    leg.msrp.acceptor = async (m) => {
      const info = /^message\/cpim\b/i.test(m.contentType ?? '') ? describeCpimPayload(m.body) : undefined;
      if (info?.kind === 'imdn') await this.#routeNotification(leg.groupId, m.body, m.contentType!, info);
      else if (info && leg.mode === 'session') await this.#storeForOthers(leg, m.body, m.contentType!, info);
      else
        this.events.emit('message-ignored', {
          groupId: leg.groupId,
          user: leg.user,
          reason: 'deferred session',
        });
      return undefined;
    };
  }

  /** A chat message from `leg` with no live session to relay it: stored for every other member (then delivered). */
  async #storeForOthers(leg: Leg, body: Buffer, contentType: string, info: CpimPayloadInfo): Promise<void> {
    const group = this.stores.groups.get(leg.groupId);
    if (!group) return;
    const others = members(group)
      .map((p) => p.uri)
      .filter((uri) => uri !== leg.user);
    this.events.emit('message-stored-without-session', {
      groupId: leg.groupId,
      from: leg.user,
      messageId: info.messageId,
      recipients: others.length,
    });
    if (others.length > 0) await this.#store(leg.groupId, others, body, contentType, info);
  }

  // ---- incoming INVITE: factory and conference URIs (protocol-notes §7) ----

  async #onInvite(req: SipRequest, res: InviteServerResponse): Promise<void> {
    const from = assertedIdentity(req);
    const requestUri = aorKey(req.uri);
    const conversationId = req.get(CONVERSATION_ID)?.trim();
    const contributionId = req.get(CONTRIBUTION_ID)?.trim();
    let sdp: Buffer | undefined;
    let recipients: { uri: string; displayName?: string }[] | undefined;
    try {
      ({ sdp, recipients } = readInviteBody(req));
    } catch (err) {
      await res.reject(400, {
        reason: `Bad body: ${err instanceof Error ? err.message : String(err)}`.slice(0, 120),
      });
      return;
    }
    const groupInvite = {
      requestUri,
      from,
      hasRecipientList: recipients !== undefined,
      ...(conversationId ? { conversationId } : {}),
      ...(contributionId ? { contributionId } : {}),
    };
    const decision = classifyGroupInvite(groupInvite, this.#lookup(), this.factoryUri);
    if (decision.action === 'reject') {
      await res.reject(decision.status, { reason: decision.reason });
      this.events.emit('group-invite-rejected', { from, requestUri, status: decision.status });
      return;
    }
    if (
      decision.action !== 'create' &&
      this.#inFlight.get(key(from, decision.group.id))?.kind === 'deferred'
    ) {
      // D1.viii: the user's re-join crossed our deferred INVITE. The client re-joins after that session's BYE;
      // taking both would deliver the backlog twice (RFC 3261 §21.4.24: busy with another session).
      await res.reject(486, { reason: 'Deferred Delivery In Progress' });
      this.events.emit('group-invite-rejected', {
        from,
        requestUri,
        status: 486,
        reason: 'deferred-delivery',
      });
      return;
    }
    let offer: MsrpMediaDescription;
    try {
      if (!sdp) throw new Error('no SDP');
      offer = parseMsrpSdp(sdp);
    } catch {
      await res.reject(488, { reason: 'Not Acceptable Here' });
      return;
    }
    let group: Group;
    let invite: string[] = [];
    let referredBy: string | undefined;
    switch (decision.action) {
      case 'create': {
        const init: NewGroupInput = {
          creator: { uri: from },
          participants: recipients ?? [],
          domain: this.config.domain,
          now: this.#now(),
        };
        const subject = req.get('subject');
        if (subject !== undefined) init.subject = subject;
        if (conversationId) init.conversationId = conversationId;
        if (contributionId) init.contributionId = contributionId;
        group = this.stores.groups.create(createGroup(init));
        this.events.emit('group-created', {
          groupId: group.id,
          conferenceUri: group.conferenceUri,
          via: 'factory',
          creator: from,
        });
        invite = group.participants.map((p) => p.uri).filter((u) => u !== from);
        referredBy = from;
        break;
      }
      case 'restart':
        group = decision.group;
        invite = decision.invite;
        this.events.emit('session-restart', {
          groupId: group.id,
          by: from,
          revived: decision.revived,
          invite: decision.invite,
          storeFor: decision.storeFor,
        });
        break;
      case 'join':
        group = decision.group;
        break;
    }
    const session = this.#startSession(group);
    // Until its leg is in the session the user is joining: no reconnect INVITE of ours may cross its INVITE
    // (its registration may be taken only now, after the re-join was sent).
    const joining = key(from, group.id);
    const alreadyInFlight = this.#inFlight.has(joining);
    if (!alreadyInFlight)
      this.#inFlight.set(joining, { user: from, groupId: group.id, kind: 'joining', since: this.#now() });
    let leg: Leg | undefined;
    try {
      // The joining client knows the group now (R3): lift a 481 stop.
      await this.#batcher
        .run(() => this.stores.deferred.resumeDelivery(from, group.id))
        .catch(() => undefined);
      leg = await this.#acceptLeg(req, res, group, from, offer);
      if (leg) session.addLeg(leg);
    } finally {
      if (!alreadyInFlight) this.#inFlight.delete(joining);
    }
    if (!leg) {
      if (session.connectedUsers().length === 0 && invite.length === 0) session.end('empty');
      return;
    }
    void this.#flushThenLive(leg).catch(() => undefined);
    for (const user of invite) void this.#inviteToSession(group, user, referredBy);
  }

  /** Answer a client's offer (RFC 3264; setup by RFC 4145/6135 answer rules) and set up its MSRP session. */
  async #acceptLeg(
    req: SipRequest,
    res: InviteServerResponse,
    group: Group,
    user: string,
    offer: MsrpMediaDescription,
  ): Promise<Leg | undefined> {
    const setup = answerSetup(offer.setup);
    const msrp: MsrpSession = this.#msrp.createSession({ setup, acceptTypes: PF_ACCEPT_TYPES });
    const answer = answerSdp(offer, this.#localMsrp(msrp));
    // Passive: ready for the client's connection before it can see our 2xx.
    if (setup === 'passive') msrp.start(offer.path.join(' ')).catch(() => undefined);
    let sip: InviteSession;
    try {
      sip = await res.accept({
        body: answer.sdp,
        contentType: 'application/sdp',
        headers: [
          ['Contact', focusContact(group.conferenceUri)],
          [CONVERSATION_ID, group.conversationId],
          [CONTRIBUTION_ID, group.contributionId],
        ],
      });
    } catch (err) {
      msrp.close();
      this.logger.info('INVITE not accepted', { callId: req.callId, error: String(err) });
      return undefined;
    }
    const leg = new Leg({ user, groupId: group.id, sip, msrp, mode: 'session' });
    if (setup === 'active') {
      // RFC 6135 §4: we connect, once the ACK confirmed the session.
      sip.acked.then(
        () => msrp.start(offer.path.join(' ')).catch(() => undefined),
        () => undefined,
      );
    }
    return leg;
  }

  #startSession(group: Group): GroupSession {
    const existing = this.#sessions.get(group.id);
    if (existing?.active) return existing;
    const now = this.#now();
    const session = new GroupSession(group.id, this.#sessionHost, this.config.idleTimeoutMs, now);
    this.#sessions.set(group.id, session);
    this.stores.groups.recordSessionStart(group.id, group.contributionId, now);
    this.events.emit('session-started', { groupId: group.id, contributionId: group.contributionId });
    return session;
  }

  #sessionEnded(session: GroupSession, reason: SessionEndReason): void {
    if (this.#sessions.get(session.groupId) === session) this.#sessions.delete(session.groupId);
    this.#conference.terminateAll(session.groupId, 'noresource');
    if (reason !== 'deleted') {
      try {
        this.stores.groups.recordSessionEnd(session.groupId, this.#now());
      } catch (err) {
        this.logger.debug('session end not recorded', { error: String(err) });
      }
    }
    this.events.emit('session-ended', { groupId: session.groupId, reason, relayed: session.relayed });
  }

  #rosterChanged(groupId: string, user: string, connected: boolean): void {
    const group = this.stores.groups.get(groupId);
    if (!group || !isMember(group, user)) return;
    this.#conference.changed(group, [conferenceUser(group, user, connected)]);
  }

  #lookup(): GroupLookup {
    return {
      byConferenceUri: (uri) => this.stores.groups.byConferenceUri(uri),
      byConversationId: (id) => this.stores.groups.byConversationId(id),
      sessionState: (id) => this.sessionState(id),
      isRegistered: (user) => this.registrations.isRegistered(user),
    };
  }

  // ---- SUBSCRIBE: conference event package (RFC 4575; protocol-notes §7) ----

  async #onSubscribe(req: SipRequest, res: SubscribeServerResponse): Promise<void> {
    if (res.event !== 'conference') {
      await res.send(489, { reason: 'Bad Event' }); // RFC 6665 §8.2.2
      return;
    }
    const group = this.stores.groups.byConferenceUri(req.uri);
    if (!group) {
      await res.send(404);
      return;
    }
    const user = assertedIdentity(req);
    if (!isMember(group, user)) {
      await res.send(403, { reason: 'Not a participant' });
      return;
    }
    const session = this.#sessions.get(group.id);
    if (!session?.active) {
      // D1.vi: no conference state outside an active session.
      await res.send(480, { reason: 'Session Inactive' });
      return;
    }
    const sub = await res.accept({ expires: 3600 });
    this.#conference.add(group, user, sub, new Set(session.connectedUsers()));
    this.events.emit('conference-subscribed', { groupId: group.id, user });
  }

  // ---- MESSAGE: notifications addressed to the conference URI (protocol-notes §6) ----

  async #onMessage(req: SipRequest, res: ServerResponse): Promise<void> {
    const group = this.stores.groups.byConferenceUri(req.uri);
    if (!group) {
      await this.#onMessageForUnregistered(req, res);
      return;
    }
    const info = /^message\/cpim\b/i.test(req.contentType ?? '') ? describeCpimPayload(req.body) : undefined;
    if (!info) {
      await res.send(415, { headers: [['Accept', 'message/cpim']] });
      return;
    }
    if (info.kind !== 'imdn') {
      await res.send(488, { reason: 'Chat messages go over the MSRP session' });
      return;
    }
    try {
      await this.#routeNotification(group.id, req.body, 'message/cpim', info);
    } catch {
      await res.send(500, { reason: 'Notification not stored' }); // the sender keeps it and may retry
      return;
    }
    await res.send(202);
  }

  /**
   * A notification the CSCF could not deliver: its Request-URI is a member who has no reachable contact
   * (terminating-unregistered routing, services/cscf/routing.ts). Stored for that member, answered 202 once
   * committed; never sent on, so it cannot loop back through the CSCF.
   */
  async #onMessageForUnregistered(req: SipRequest, res: ServerResponse): Promise<void> {
    const conversationId = req.get('conversation-id');
    const group = conversationId
      ? this.stores.groups.byConversationId(conversationId.trim(), req.get('contribution-id')?.trim())
      : undefined;
    let recipient: string;
    try {
      recipient = aorKey(formatUri(req.requestUri));
    } catch {
      await res.send(400);
      return;
    }
    if (!group || !isMember(group, recipient)) {
      await res.send(404);
      return;
    }
    const info = /^message\/cpim\b/i.test(req.contentType ?? '') ? describeCpimPayload(req.body) : undefined;
    if (info?.kind !== 'imdn') {
      await res.send(info ? 488 : 415);
      return;
    }
    try {
      await this.#store(group.id, [recipient], req.body, 'message/cpim', info);
    } catch {
      await res.send(500, { reason: 'Notification not stored' });
      return;
    }
    this.events.emit('notification-routed', {
      groupId: group.id,
      to: recipient,
      via: 'store',
      messageId: info.messageId,
    });
    await res.send(202);
  }

  // ---- storing and routing ----

  /** Store a payload for members not connected (protocol-notes §4); nothing acknowledged is dropped. */
  #store(
    groupId: string,
    recipients: string[],
    body: Buffer,
    contentType: string,
    info: CpimPayloadInfo,
  ): Promise<void> {
    const inputs: DeferredItemInput[] = recipients.map((recipient) => ({
      recipient,
      groupId,
      kind: info.kind,
      messageId: info.messageId,
      sender: info.sender,
      contentType,
      body,
    }));
    const write = this.#writer.enqueueMany(inputs);
    const keys = recipients.map((r) => key(r, groupId));
    for (const k of keys) {
      const set = this.#pendingWrites.get(k) ?? new Set<Promise<unknown>>();
      this.#pendingWrites.set(k, set);
      set.add(write);
    }
    write
      .then(
        (results) => {
          results.forEach((r, i) => {
            this.events.emit(r.stored ? 'message-stored' : 'message-duplicate', {
              groupId,
              recipient: recipients[i],
              messageId: info.messageId,
              kind: info.kind,
              sender: info.sender,
            });
          });
          // Protocol profile §4: an item for a member who is registered but not connected goes out now.
          for (const [i, r] of results.entries()) if (r.stored) this.#deliverNow(recipients[i]!, groupId);
        },
        (err: unknown) => this.logger.error('deferred store write failed', { groupId, error: String(err) }),
      )
      .finally(() => {
        for (const k of keys) {
          const set = this.#pendingWrites.get(k);
          set?.delete(write);
          if (set?.size === 0) this.#pendingWrites.delete(k);
        }
      });
    // Settles when the items are committed (the sender's MSRP 200 waits for it); rejects if the write failed.
    return write.then(() => undefined);
  }

  /**
   * A failed delivery is tried again by the PF on its own, after 1 s, 2 s, 4 s … up to retryMaxDelayMs, as
   * long as the user is registered and not connected (visible in GET /state as `retries`). A delivery that
   * starts for any other reason (a REGISTER, a new item) supersedes it; a success ends the series.
   */
  #scheduleRetry(user: string, groupId: string, reason: string): void {
    if (this.#closed) return;
    const k = key(user, groupId);
    const previous = this.#retries.get(k);
    clearTimeout(previous?.timer);
    const attempt = (previous?.attempt ?? 0) + 1;
    const delay = Math.min(this.config.retryBaseDelayMs * 2 ** (attempt - 1), this.config.retryMaxDelayMs);
    const timer = setTimeout(() => {
      const entry = this.#retries.get(k);
      if (entry?.timer !== timer) return;
      entry.timer = undefined;
      if (!this.registrations.isRegistered(user)) {
        this.#retries.delete(k); // offline: its next registration starts a delivery
        return;
      }
      this.events.emit('delivery-retry', { user, groupId, attempt });
      this.#planDeliveries(user, { only: groupId, retry: true });
    }, delay);
    timer.unref();
    this.#retries.set(k, { user, groupId, attempt, at: this.#now() + delay, reason, timer });
  }

  /**
   * Protocol profile §4: something was stored for `user` in `groupId` while it is registered: start a delivery
   * at once instead of waiting for its next REGISTER. Not when a delivery or a leg of the user for the group is
   * running already (it drains the store itself), and not after a 480 (the user said "later": the next
   * registration asks again).
   */
  #deliverNow(user: string, groupId: string): void {
    if (this.#closed || !this.registrations.isRegistered(user)) return;
    if (this.#inFlight.has(key(user, groupId)) || this.#sessions.get(groupId)?.leg(user)) return;
    if (this.stores.deferred.deliveryRecord(user, groupId)?.lastOutcome === '480') return;
    this.#planDeliveries(user, { only: groupId });
  }

  /**
   * protocol-notes §6: a notification goes to the original sender (CPIM To): over MSRP when it takes live traffic
   * in the session, by SIP MESSAGE when it is registered but not in the session, stored otherwise (and when the
   * MESSAGE fails). Never dropped.
   */
  async #routeNotification(
    groupId: string,
    body: Buffer,
    contentType: string,
    info: CpimPayloadInfo,
  ): Promise<void> {
    let target: string | undefined;
    try {
      const to = cpimTo(parseCpim(body))[0];
      target = to === undefined ? undefined : aorKey(to.uri);
    } catch {
      target = undefined;
    }
    if (target === undefined) {
      this.events.emit('notification-unroutable', { groupId, messageId: info.messageId });
      return;
    }
    const session = this.#sessions.get(groupId);
    const leg = session?.leg(target);
    if (session && leg?.live) {
      session.deliverLive(leg, body, contentType, info);
      this.events.emit('notification-routed', {
        groupId,
        to: target,
        via: 'msrp',
        messageId: info.messageId,
      });
      return;
    }
    const group = this.stores.groups.get(groupId);
    if (group && !leg && this.registrations.isRegistered(target)) {
      this.#ua
        .message(target, body, {
          contentType: 'message/cpim',
          from: `<${group.conferenceUri}>`,
          headers: notificationMessageHeaders(group),
        })
        .then(
          () =>
            this.events.emit('notification-routed', {
              groupId,
              to: target,
              via: 'sip-message',
              messageId: info.messageId,
            }),
          (err: unknown) => {
            this.events.emit('notification-message-failed', { groupId, to: target, error: String(err) });
            // Logged by #store when the write fails.
            this.#store(groupId, [target], body, contentType, info).catch(() => undefined);
          },
        );
      return;
    }
    await this.#store(groupId, [target], body, contentType, info);
  }

  #localMsrp(session: MsrpSession): LocalMsrp {
    return { address: this.#msrp.host, port: this.#msrp.port, path: session.localPath };
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
    for (const r of this.#retries.values()) clearTimeout(r.timer);
    for (const session of [...this.#sessions.values()]) session.end('shutdown');
    for (const leg of [...this.#deferredLegs]) void leg.end();
    await this.#batcher.close().catch(() => undefined);
    await this.#ua?.close();
    await this.#msrp?.close();
    await this.#transport?.close();
    await this.#control?.close();
    this.recorder.close();
    this.stores.db.close();
  }
}

/**
 * The SDP offer of an incoming INVITE, and its recipient list when the body is multipart/mixed with an
 * application/resource-lists+xml part (protocol-notes §7 "Create"; RFC 5366). Throws on an unreadable body.
 */
export function readInviteBody(req: SipRequest): {
  sdp: Buffer | undefined;
  recipients: { uri: string; displayName?: string }[] | undefined;
} {
  const type = (req.mediaType ?? '').toLowerCase();
  if (type === 'application/sdp') return { sdp: req.body, recipients: undefined };
  if (!type.startsWith('multipart/')) return { sdp: undefined, recipients: undefined };
  let sdp: Buffer | undefined;
  let recipients: { uri: string; displayName?: string }[] | undefined;
  for (const part of parseMultipart(req.body, req.contentType!)) {
    const partType = (getHeader(part.headers, 'Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (partType === 'application/sdp') sdp = part.body;
    else if (partType === 'application/resource-lists+xml') {
      recipients = allEntries(parseResourceLists(part.body)).map((e) =>
        e.displayName === undefined ? { uri: e.uri } : { uri: e.uri, displayName: e.displayName },
      );
    }
  }
  return { sdp, recipients };
}

/**
 * Who sent a request, as the network vouches for it: the first SIP URI of P-Asserted-Identity (RFC 3325 §9.1:
 * the CSCF sets it from the registration the request came over), else From (requests from other network
 * entities, or a CSCF that does not assert).
 */
export function assertedIdentity(req: SipRequest): string {
  for (const value of req.getAll('p-asserted-identity')) {
    try {
      const uri = formatUri(parseNameAddr(value).uri);
      if (/^sips?:/i.test(uri)) return aorKey(uri);
    } catch {
      // an unreadable value asserts nothing
    }
  }
  return aorKey(formatUri(req.from.uri));
}
