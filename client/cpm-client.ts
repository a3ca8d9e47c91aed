// The CPM client (architecture.md "Client", OMA CPM 7.3.11): registration with the CPM feature tags, the
// answer to PF invitations per decideInvitation (481/603/480/200, D1.iv, D1.v), MSRP as the connecting side
// after the ACK, receiving deferred and live messages (D1.i, A2.i), group state objects (D1.vii), IMDNs on the
// right channel (D1.ii, A2.i), conference state only in active sessions (D1.vi), the outbox and re-join
// (D1.viii, R3), and group creation through the conference factory (protocol-notes §7).
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { GROUP_STATE_CONTENT_TYPE, parseGroupState, bodyOfType } from '../protocol/bodies/index.js';
import { type CpimMessage, parseCpim, requireCpimBody } from '../protocol/cpim/index.js';
import {
  CONVERSATION_ID,
  ICSI_CPM_DEFERRED,
  ICSI_CPM_SESSION,
  isValidCpmId,
  newContributionId,
  newConversationId,
  normalizeCpmId,
  sameCpmId,
} from '../protocol/cpm/index.js';
import { isImdnCpim, newImdnMessageId, readImdnCpim } from '../protocol/imdn/index.js';
import { type MsrpMessage, MsrpEndpoint } from '../protocol/msrp/index.js';
import { connectingSide, type MsrpMediaDescription, parseMsrpSdp } from '../protocol/sdp/index.js';
import {
  aorOf,
  type Endpoint,
  type InviteServerResponse,
  type InviteSession,
  parseUri,
  type ServerResponse,
  SipRequestError,
  type SipRequest,
  type SipResponse,
  SipTransportLayer,
  type TransportKind,
  UaError,
  UserAgent,
} from '../protocol/sip/index.js';
import { WireTrace } from '../protocol/trace/index.js';
import { createLogger, type Logger, logWireMessages, StoreError } from '../runtime/index.js';
import {
  type AcceptDecision,
  type ClauseRef,
  DEFAULT_CONFERENCE_FACTORY_URI,
  decideInvitation,
  type DispositionEvent,
  factoryRestartRequest,
  type GroupRecord,
  groupKey as groupKeyOf,
  type InvitationPolicy,
  normalizeAor,
  notificationFromCpim,
  type OutboxCommand,
  type OutboxState,
  type OutgoingMessage,
  type Participant,
  type PolicySettings,
  type ReceivedMessage,
  type ReceivedNotification,
  receivedFromCpim,
  rejoinRequest,
  sameAor,
  type SentMessage,
} from './domain/index.js';
import { maySubscribeConference, subscribeConference } from './node/conference.js';
import { GroupSession, type GroupSessionKind } from './node/group-session.js';
import { type ImdnSent, sendDisposition } from './node/imdn-sender.js';
import { OutboxRunner } from './node/outbox-runner.js';
import { ClientRegistration, RegistrationFailed, type RegistrationStatus } from './node/registration.js';
import {
  type GroupIds,
  msrpSdp,
  REQUESTED_DISPOSITIONS,
  recipientListBody,
  sessionContact,
  sessionInviteHeaders,
  stableInstanceId,
  chatCpim,
  CLIENT_ACCEPT_TYPES,
} from './node/wire.js';
import { ClientStore, type NewGroup } from './store/index.js';

/** When the client's MSRP listener opens (see CpmClientOptions.msrp). */
export type MsrpListen = 'at-start' | 'onFirstSession';

export interface CpmClientOptions {
  /** User name (`alice`) or AoR (`sip:alice@ims.lab`). */
  user: string;
  /** A store opened from a path: entries of each kind kept per group (default 10 000; the excess is counted). */
  maxLogEntriesPerGroup?: number;
  /** Home domain (protocol-notes §1); default ims.lab. */
  domain?: string;
  /** The CSCF: outbound proxy and registrar (protocol-notes §3). */
  cscf: { host: string; port: number; transport?: TransportKind };
  /** SIP listeners: TCP always (requests may arrive on it directly, e.g. from SIPp), UDP when a port is given. */
  sip?: { host?: string; port?: number; udpPort?: number; advertise?: string };
  /**
   * `onFirstSession`: open the MSRP listener when the first session needs it, not at start (only with port 0,
   * where nobody needs to know the port in advance): what an embedded lab of thousands of clients asks for.
   */
  msrp?: { host?: string; port?: number; advertisedHost?: string; listen?: MsrpListen };
  /**
   * The per-user store (its opener closes it), or the path of its database file: the client opens the store
   * and closes it with itself.
   */
  store: ClientStore | string;
  /** Invitation policy of a NEW store (an existing store keeps its own). */
  defaultPolicy?: InvitationPolicy;
  /** Registration lifetime requested (seconds); default 600. */
  expires?: number;
  conferenceFactoryUri?: string;
  /** SIP timer T1 in ms; default 500. */
  t1?: number;
  /** RFC 5626 +sip.instance URN; default derived from the AoR (stable across restarts). */
  instanceId?: string;
  /** MSRP transaction timeout (RFC 4975 §7.1.1); default 30 000 ms. */
  msrpTimeoutMs?: number;
  /**
   * After registering with messages queued, how long to wait for the PF's invitation before re-joining
   * (D1.viii: a deferred session first, the re-join after its BYE); default 1000 ms, 0 re-joins at once.
   */
  invitationGraceMs?: number;
  /** The first retry of a failed re-join (doubling, up to 60 s); default 1000 ms. */
  rejoinRetryBaseMs?: number;
  logger?: Logger;
}

export type CpmClientErrorCode =
  | 'unknown-group'
  | 'ambiguous-group'
  | 'registration-failed'
  | 'not-registered'
  | 'session-failed'
  | 'bad-request'
  /** The request would be over the SIP message size limit: not sent (RFC 3261 §21.5.14). */
  | 'too-large'
  | 'closed';

export class CpmClientError extends Error {
  override readonly name = 'CpmClientError';
  constructor(
    readonly code: CpmClientErrorCode,
    message: string,
    /** The SIP status that caused it, when one did. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface InvitationInfo {
  callId: string;
  from: string;
  status: number;
  reason: string;
  detail?: string;
  kind?: AcceptDecision['kind'];
  service?: 'deferred' | 'session';
  groupKey?: string;
  clauses: ClauseRef[];
}

export interface SessionInfo {
  id: string;
  groupKey: string;
  kind: GroupSessionKind;
  role: 'uas' | 'uac';
  state: 'establishing' | 'connected' | 'ended';
  msrpPath: string;
  peerPath?: string;
  subscribed: boolean;
  startedAt: string;
}

export interface RejoinInfo {
  groupKey: string;
  kind: 'rejoin' | 'restart';
  outcome: 'ok' | 'failed';
  status?: number;
  clause: ClauseRef;
}

export type GroupUpdateCause =
  | 'invitation'
  | 'group-state'
  | 'conference'
  | 'created'
  | 'provisioned'
  | 'left'
  | 'restarted';

export type CpmClientEvents = {
  registration: [status: RegistrationStatus];
  invitation: [info: InvitationInfo];
  'session-started': [info: SessionInfo];
  'session-ended': [info: SessionInfo & { reason: string; byeReason?: string }];
  message: [message: ReceivedMessage];
  notification: [notification: ReceivedNotification];
  'group-updated': [group: GroupRecord, cause: GroupUpdateCause];
  queued: [info: { groupKey: string; messageId: string }];
  sent: [message: SentMessage];
  'send-failed': [info: { groupKey: string; messageId: string; error: string }];
  'imdn-sent': [info: ImdnSent];
  rejoin: [info: RejoinInfo];
  subscribed: [info: { groupKey: string; conferenceUri: string }];
  warning: [info: { message: string; error?: string }];
};

export interface CpmClientState {
  node: 'client';
  user: string;
  aor: string;
  instanceId: string;
  registration: RegistrationStatus;
  sip: { tcp?: Endpoint; udp?: Endpoint; contact: string; cscf: string };
  /** Port 0: no MSRP listener yet (an embedded lab's client opens it with its first session). */
  msrp: { host: string; port: number };
  policy: PolicySettings;
  groups: GroupRecord[];
  sessions: SessionInfo[];
  outbox: OutboxState;
  counts: { received: number; notifications: number; sent: number };
  /** The message log's per-group cap and how many old entries it has removed (never silent). */
  messageLog: { maxEntriesPerGroup: number; trimmed: number };
}

/** How often a message is tried on a session before it is given up (send failures only). */
const MAX_SEND_ATTEMPTS = 3;

export class CpmClient extends EventEmitter<CpmClientEvents> {
  readonly user: string;
  readonly aor: string;
  readonly domain: string;
  readonly instanceId: string;
  readonly store: ClientStore;
  /** The client opened its store (from a path) and closes it; a store given to it is its opener's. */
  readonly #ownStore: boolean;
  readonly ua: UserAgent;
  readonly transport: SipTransportLayer;
  readonly msrp: MsrpEndpoint;
  readonly trace: WireTrace;
  readonly logger: Logger;
  readonly registration: ClientRegistration;
  readonly #options: CpmClientOptions;
  readonly #factoryUri: string;
  readonly #sessions = new Set<GroupSession>();
  /** Sessions whose activeSessionStarted was fed to the outbox (their end must be fed too). */
  readonly #activeStarted = new WeakSet<GroupSession>();
  readonly #attempts = new Map<string, number>();
  readonly #notifying = new Set<string>();
  readonly #outbox: OutboxRunner;
  readonly #invitationGraceMs: number;
  /** Re-join retries after failures, per group (#scheduleRejoinRetry). */
  readonly #rejoinAttempts = new Map<string, { attempt: number; timer: NodeJS.Timeout }>();
  readonly #rejoinRetryBaseMs: number;
  #registeredTimer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(init: {
    options: CpmClientOptions;
    store: ClientStore;
    ownStore: boolean;
    ua: UserAgent;
    transport: SipTransportLayer;
    msrp: MsrpEndpoint;
    trace: WireTrace;
    aor: string;
    domain: string;
  }) {
    super();
    this.#options = init.options;
    this.user = init.aor.replace(/^sips?:/, '').split('@')[0]!;
    this.aor = init.aor;
    this.domain = init.domain;
    this.store = init.store;
    this.#ownStore = init.ownStore;
    this.ua = init.ua;
    this.transport = init.transport;
    this.msrp = init.msrp;
    this.trace = init.trace;
    this.logger = init.options.logger ?? createLogger(`client-${this.user}`);
    logWireMessages(this.trace, this.logger); // every SIP and MSRP message, in full, at debug
    this.instanceId = init.options.instanceId ?? stableInstanceId(init.aor);
    this.#factoryUri = init.options.conferenceFactoryUri ?? DEFAULT_CONFERENCE_FACTORY_URI;
    this.registration = new ClientRegistration({
      ua: this.ua,
      transport: this.transport,
      registrar: `sip:${this.domain}`,
      aor: this.aor,
      instanceId: this.instanceId,
      expires: init.options.expires ?? 600,
      cscf: { address: init.options.cscf.host, port: init.options.cscf.port },
    });
    this.#outbox = new OutboxRunner(this.store, { execute: (c) => this.#execute(c) });
    this.#invitationGraceMs = init.options.invitationGraceMs ?? 1000;
    this.#rejoinRetryBaseMs = init.options.rejoinRetryBaseMs ?? 1000;
    this.registration.on('status', (s) => this.#onRegistration(s));
    this.ua.onError((err) => this.#warn('SIP stack error', err));
    this.store.onCommitError = (err) =>
      this.#warn('store commit failed: the changes of that turn are lost', err);
    this.msrp.on('socket-error', (err) => this.#warn('MSRP socket error', err));
    this.ua.on('INVITE', (req, res) => this.#onInvite(req, res));
    this.ua.on('MESSAGE', async (req, res) => this.#onSipMessage(req, res));
  }

  /** Open the store, bind the SIP (TCP) and MSRP listeners. Does not register: call online(). */
  static async start(options: CpmClientOptions): Promise<CpmClient> {
    // The CSCF by address: flows are matched against it (drop, flow loss), and flows know peers by IP.
    if (!isIP(options.cscf.host)) {
      options = { ...options, cscf: { ...options.cscf, host: (await lookup(options.cscf.host)).address } };
    }
    const domain = options.domain ?? 'ims.lab';
    const aor = options.user.startsWith('sip:')
      ? aorOf(parseUri(options.user))
      : `sip:${options.user}@${domain}`;
    const store =
      typeof options.store === 'string'
        ? await ClientStore.open({
            path: options.store,
            defaultPolicy: { default: options.defaultPolicy ?? 'accept' },
            ...(options.maxLogEntriesPerGroup === undefined
              ? {}
              : { maxEntriesPerGroup: options.maxLogEntriesPerGroup }),
          })
        : options.store;
    const ownStore = typeof options.store === 'string';
    const closeOwnStore = () => (ownStore ? store.close().catch(() => undefined) : undefined);
    const trace = new WireTrace();
    const host = options.sip?.host ?? '127.0.0.1';
    const advertise = options.sip?.advertise;
    let transport: SipTransportLayer;
    try {
      transport = await SipTransportLayer.listen({
        tcp: {
          host,
          port: options.sip?.port ?? 0,
          ...(advertise ? { advertise: { address: advertise } } : {}),
        },
        ...(options.sip?.udpPort !== undefined
          ? {
              udp: {
                host,
                port: options.sip.udpPort,
                ...(advertise ? { advertise: { address: advertise } } : {}),
              },
            }
          : {}),
        trace,
        // protocol-notes §3: the flow to the CSCF is kept open for the registration's lifetime.
        idleTimeoutMs: 0,
      });
    } catch (err) {
      await closeOwnStore();
      throw err;
    }
    let msrp: MsrpEndpoint;
    try {
      const msrpOptions = {
        host: options.msrp?.host ?? host,
        port: options.msrp?.port ?? 0,
        ...(options.msrp?.advertisedHost ? { advertisedHost: options.msrp.advertisedHost } : {}),
        trace,
        ...(options.msrpTimeoutMs !== undefined ? { transactionTimeoutMs: options.msrpTimeoutMs } : {}),
      };
      msrp =
        options.msrp?.listen === 'onFirstSession' && msrpOptions.port === 0
          ? MsrpEndpoint.deferred(msrpOptions)
          : await MsrpEndpoint.listen(msrpOptions);
    } catch (err) {
      await transport.close();
      await closeOwnStore();
      throw err;
    }
    const ua = new UserAgent({
      transport,
      aor,
      outboundProxy: {
        transport: options.cscf.transport ?? 'tcp',
        address: options.cscf.host,
        port: options.cscf.port,
      },
      timers: { t1: options.t1 ?? 500 },
      userAgent: 'cpm-lab-client',
    });
    return new CpmClient({ options, store, ownStore, ua, transport, msrp, trace, aor, domain });
  }

  // ---------------------------------------------------------------- user actions

  /**
   * Register (protocol profile §2); when already online, refresh the registration at once (a user-visible
   * nudge: the PF hears of us again and delivers what it holds). Rejects with CpmClientError('registration-failed').
   */
  async online(): Promise<RegistrationStatus> {
    this.#assertOpen();
    try {
      return await (this.registration.online ? this.registration.refresh() : this.registration.register());
    } catch (err) {
      const status = err instanceof RegistrationFailed ? err.status : undefined;
      throw new CpmClientError('registration-failed', (err as Error).message, status);
    }
  }

  /**
   * Go offline. `deregister`: end sessions with BYE and remove the binding (Expires: 0). `drop`: a phone losing
   * coverage — the TCP flow to the CSCF is destroyed without a word, sessions end locally, refreshing stops.
   */
  async offline(mode: 'deregister' | 'drop'): Promise<RegistrationStatus> {
    this.#assertOpen();
    // R3: the user is leaving. A session that ends now (our BYE, or locally) must not make the outbox re-join
    // before the registration is gone: what it still holds waits for the next registration.
    clearTimeout(this.#registeredTimer);
    this.#registeredTimer = undefined;
    this.#outbox.dispatch({ type: 'deregistered' });
    if (mode === 'drop') {
      this.registration.drop();
      for (const s of [...this.#sessions]) await s.end('offline', { local: true });
    } else {
      await Promise.all([...this.#sessions].map((s) => s.end('offline')));
      await this.registration.deregister();
    }
    return this.registration.status;
  }

  get registrationStatus(): RegistrationStatus {
    return this.registration.status;
  }

  /**
   * protocol-notes §7 "Create": INVITE to the conference factory with the SDP offer and the recipient list,
   * `Require: recipient-list-invite`, new Conversation-ID / Contribution-ID and the Subject.
   */
  async createGroup(init: { subject: string; participants: string[] }): Promise<GroupRecord> {
    this.#assertOpen();
    if (!this.registration.online) throw new CpmClientError('not-registered', `${this.user} is offline`);
    const recipients: Participant[] = init.participants
      .map((p) => this.#toAor(p))
      .filter((uri) => !sameAor(uri, this.aor))
      .map((uri) => ({ uri }));
    if (recipients.length === 0)
      throw new CpmClientError('bad-request', 'a group needs at least one other participant');
    const ids: GroupIds = {
      conversationId: newConversationId(),
      contributionId: newContributionId(),
      subject: init.subject,
    };
    const key = groupKeyOf(ids.conversationId, this.#factoryUri);
    let established: Established;
    try {
      established = await this.#establish(key, this.#factoryUri, ids, recipients);
    } catch (err) {
      if (err instanceof UaError && err.code === 'too-large') {
        throw new CpmClientError(
          'too-large',
          `group creation refused: ${err.message}; invite fewer participants`,
        );
      }
      throw new CpmClientError('session-failed', `group creation failed: ${errText(err)}`, statusOf(err));
    }
    const conferenceUri = established.focus ?? this.#factoryUri;
    const group = this.store.groups.add({
      conversationId: ids.conversationId!,
      contributionId: ids.contributionId!,
      conferenceUri,
      subject: init.subject,
      participants: [{ uri: this.aor }, ...recipients],
      sessionState: 'active',
    });
    this.#emit('group-updated', group, 'created');
    this.#activeSessionUp(established.session);
    return group;
  }

  /** Add a group known out of band (provisioned through the PF's control API, or a test fixture). */
  addGroup(init: NewGroup): GroupRecord {
    this.#assertOpen();
    // The conference URI and the participants go into our INVITEs (Request-URI, resource lists): SIP URIs only.
    for (const uri of [init.conferenceUri, ...(init.participants ?? []).map((p) => p.uri)]) {
      try {
        if (/[\s\0<>"]/.test(uri)) throw new Error('white space or delimiters');
        parseUri(uri);
      } catch {
        throw new CpmClientError('bad-request', `not a SIP URI: ${JSON.stringify(uri.slice(0, 80))}`);
      }
    }
    const group = this.store.groups.add(init);
    this.#emit('group-updated', group, 'provisioned');
    return group;
  }

  /**
   * The user types a message for a group: sent on the active session (A2.i), else queued and — when online,
   * with no deferred session running — a re-join starts (D1.viii, R3).
   */
  send(groupRef: string, text: string): { groupKey: string; messageId: string; queued: boolean } {
    this.#assertOpen();
    if (text.length === 0) throw new CpmClientError('bad-request', 'empty message');
    const group = this.resolveGroup(groupRef);
    const message: OutgoingMessage = { id: newImdnMessageId(), text };
    const commands = this.#outbox.dispatch({ type: 'userTyped', group: group.key, message });
    const queued = !commands.some((c) => c.type === 'send-on-session' && c.message.id === message.id);
    if (queued) this.#emit('queued', { groupKey: group.key, messageId: message.id });
    return { groupKey: group.key, messageId: message.id, queued };
  }

  /** RFC 5438 §6: the user displayed a message: send the display notification if it was requested. */
  async markDisplayed(groupRef: string, messageId: string): Promise<ImdnSent | undefined> {
    const group = this.resolveGroup(groupRef);
    return this.#notify(group.key, messageId, 'displayed');
  }

  /** D1.v: the answer to PF invitations, for the client or one group. */
  setPolicy(policy: InvitationPolicy, groupRef?: string): PolicySettings {
    this.#assertOpen();
    const current = this.store.policy;
    if (groupRef === undefined) {
      this.store.setPolicy({ ...current, default: policy });
    } else {
      const group = this.resolveGroup(groupRef, { includeLeft: true });
      this.store.setPolicy({ ...current, perGroup: { ...(current.perGroup ?? {}), [group.key]: policy } });
    }
    return this.store.policy;
  }

  /**
   * A group by friendly reference: its key, Conversation-ID (any form), conference URI, the name in a
   * `sip:group-<name>@…` conference URI, or subject (case-insensitive; must be unique among the groups not left).
   */
  resolveGroup(ref: string, options: { includeLeft?: boolean } = {}): GroupRecord {
    const all = this.store.groups.list();
    const groups = options.includeLeft ? all : all.filter((g) => !g.left);
    const byKey = groups.find((g) => g.key === ref);
    if (byKey) return byKey;
    if (isValidCpmId(ref)) {
      const byId = groups.find((g) => g.conversationId !== undefined && sameCpmId(g.conversationId, ref));
      if (byId) return byId;
    }
    if (ref.startsWith('sip:')) {
      // Stored conference URIs are in AoR form already: compare the text first, parse each only if none matches.
      const aor = normalizeAor(ref);
      const byUri =
        groups.find((g) => g.conferenceUri === aor) ?? groups.find((g) => sameAor(g.conferenceUri, aor));
      if (byUri) return byUri;
    }
    const want = ref.trim().toLowerCase();
    // The lab's conference URIs are `sip:group-<name>@<domain>` (protocol-notes §1): `team` names that group.
    const byName = groups.find((g) => g.conferenceUri.toLowerCase().startsWith(`sip:group-${want}@`));
    if (byName) return byName;
    const bySubject = groups.filter((g) => g.subject?.trim().toLowerCase() === want);
    if (bySubject.length === 1) return bySubject[0]!;
    if (bySubject.length > 1) {
      throw new CpmClientError(
        'ambiguous-group',
        `"${ref}" names ${bySubject.length} groups; use the Conversation-ID (${bySubject.map((g) => g.conversationId ?? g.key).join(', ')})`,
      );
    }
    throw new CpmClientError('unknown-group', `${this.user} knows no group "${ref}"`);
  }

  groups(): GroupRecord[] {
    return this.store.groups.list();
  }

  messages(groupRef?: string): ReceivedMessage[] {
    return this.store.messages.received(groupRef === undefined ? undefined : this.resolveGroup(groupRef).key);
  }

  notifications(groupRef?: string): ReceivedNotification[] {
    return this.store.messages.notifications(
      groupRef === undefined ? undefined : this.resolveGroup(groupRef).key,
    );
  }

  sentMessages(groupRef?: string): SentMessage[] {
    return this.store.messages.sent(groupRef === undefined ? undefined : this.resolveGroup(groupRef).key);
  }

  sessions(): SessionInfo[] {
    return [...this.#sessions].map(sessionInfo);
  }

  get sipAddress(): Endpoint {
    return this.transport.addresses.tcp!;
  }

  get msrpAddress(): { host: string; port: number } {
    return { host: this.msrp.host, port: this.msrp.port };
  }

  state(): CpmClientState {
    const { tcp, udp } = this.transport.addresses;
    const sip: CpmClientState['sip'] = {
      contact: this.registration.contact,
      cscf: `${this.#options.cscf.host}:${this.#options.cscf.port}`,
    };
    if (tcp) sip.tcp = tcp;
    if (udp) sip.udp = udp;
    return {
      node: 'client',
      user: this.user,
      aor: this.aor,
      instanceId: this.instanceId,
      registration: this.registration.status,
      sip,
      msrp: this.msrpAddress,
      policy: this.store.policy,
      groups: this.store.groups.list(),
      sessions: this.sessions(),
      outbox: this.store.outbox,
      counts: {
        received: this.store.messages.count('received'),
        notifications: this.store.messages.count('notifications'),
        sent: this.store.messages.count('sent'),
      },
      messageLog: this.store.messages.limits,
    };
  }

  /**
   * Stop: optionally end sessions and de-register first (bounded by `graceMs`), then close listeners and flush
   * the store.
   */
  async close(options: { deregister?: boolean; graceMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    if (options.deregister && this.registration.online) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.offline('deregister').catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.graceMs ?? 2000);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#closed = true;
    for (const r of this.#rejoinAttempts.values()) clearTimeout(r.timer);
    this.registration.stop();
    for (const s of [...this.#sessions]) await s.end('offline', { local: true });
    await this.ua.close();
    await this.transport.close();
    await this.msrp.close();
    await this.store.committed().catch((err: unknown) => this.#warn('store commit failed', err));
    if (this.#ownStore)
      await this.store.close().catch((err: unknown) => this.#warn('store close failed', err));
  }

  // ---------------------------------------------------------------- incoming SIP

  /** 7.3.11 cases 1 and 2 (D1.a, A2.a): answer per decideInvitation; MSRP only after the ACK (D1.v). */
  async #onInvite(req: SipRequest, res: InviteServerResponse): Promise<void> {
    if (this.#offline()) {
      // An offline user takes nothing live, even when a CSCF still reaches our port (RFC 3261 §21.4.18).
      await res.reject(480, { reason: 'Temporarily Unavailable' });
      this.#emit('invitation', {
        callId: req.callId,
        from: safeFrom(req),
        status: 480,
        reason: 'Temporarily Unavailable',
        detail: `${this.user} is offline`,
        clauses: [],
      });
      return;
    }
    const decision = decideInvitation(req, { groups: this.store.groups.list(), policy: this.store.policy });
    const info: InvitationInfo = {
      callId: req.callId,
      from: safeFrom(req),
      status: decision.status,
      reason: decision.action === 'reject' ? decision.reason : 'OK',
      clauses: decision.clauses,
    };
    if (decision.service !== undefined) info.service = decision.service;
    if (decision.group !== undefined) info.groupKey = decision.group.key;
    if (decision.action === 'reject') {
      info.detail = decision.detail;
      for (const effect of decision.effects) {
        // D1.v.1: the user refuses and leaves the group.
        const left = this.store.groups.markLeft(effect.groupKey);
        if (left) this.#emit('group-updated', left, 'left');
      }
      await res.reject(decision.status, { reason: decision.reason });
      this.#emit('invitation', info);
      return;
    }
    info.kind = decision.kind;
    const setup = decision.answer.setup;
    await this.msrp.listening();
    const msrp = this.msrp.createSession({ setup, acceptTypes: CLIENT_ACCEPT_TYPES });
    // RFC 3264 §6.1 / protocol profile §4: recvonly to sendonly, sendrecv to sendrecv; a=setup per RFC 4145.
    const answer = msrpSdp(
      { host: this.msrp.host, port: this.msrp.port, path: msrp.localPath },
      decision.answer.direction,
      setup,
    );
    // Passive (the offerer connects, RFC 6135 §4.2): ready for its connection before it can see our 2xx.
    const listening =
      setup === 'passive'
        ? bindWithin(msrp.start(decision.offer.path.join(' ')), this.#options.msrpTimeoutMs ?? 30_000)
        : undefined;
    listening?.catch(() => undefined);
    const group = this.store.groups.upsert(decision.group);
    let sip: InviteSession;
    try {
      // 7.3.2 / RFC 3840 §9: the 2xx carries the same Contact as our own INVITEs (CPM ICSI, +sip.instance).
      const icsi = decision.service === 'deferred' ? ICSI_CPM_DEFERRED : ICSI_CPM_SESSION;
      const contact = sessionContact(this.ua.contactUri(res.source.transport), this.instanceId, icsi);
      sip = await res.accept({
        body: answer,
        contentType: 'application/sdp',
        headers: [['Contact', contact]],
      });
    } catch (err) {
      msrp.close();
      this.#warn('could not answer the invitation', err);
      return;
    }
    this.#emit('invitation', info);
    this.#emit('group-updated', group, 'invitation');
    const session = new GroupSession({
      groupKey: group.key,
      kind: decision.sessionKind,
      role: 'uas',
      sip,
      msrp,
    });
    this.#track(session);
    // D1.i / D1.viii: while the deferred session runs, replies are queued (receive-only session).
    if (session.kind === 'deferred')
      this.#outbox.dispatch({ type: 'deferredSessionStarted', group: group.key });
    try {
      await sip.acked; // D1.v: the MSRP session is established only after the ACK
      await session.connect(decision.offer.path, listening);
    } catch (err) {
      this.#warn(`group session ${session.id} could not be established`, err);
      await session.end('msrp-failed');
      return;
    }
    this.#emit('session-started', sessionInfo(session));
    if (session.kind === 'active') this.#activeSessionUp(session);
  }

  /** Pager-mode MESSAGE (RFC 3428): IMDNs from other participants (D1.ii channel towards us). */
  async #onSipMessage(req: SipRequest, res: ServerResponse): Promise<void> {
    if (this.#offline()) {
      await res.send(480, { reason: 'Temporarily Unavailable' });
      return;
    }
    if (!(await requireCpimBody(req, res))) return;
    let cpim: CpimMessage;
    try {
      cpim = parseCpim(req.body);
    } catch {
      await res.send(400, { reason: 'Bad CPIM' });
      return;
    }
    const conv = req.get(CONVERSATION_ID)?.trim();
    const key =
      conv !== undefined && isValidCpmId(conv)
        ? (this.store.groups.get(normalizeCpmId(conv))?.key ?? normalizeCpmId(conv))
        : 'pager';
    try {
      this.#onCpim(key, 'deferred', cpim);
      await this.store.committed(); // RFC 3428 §7: the 200 says we have it; only once it is stored
    } catch (err) {
      this.#warn('an incoming MESSAGE could not be stored', err);
      await res.send(500, { reason: 'Store Failure' });
      return;
    }
    await res.send(200);
  }

  // ---------------------------------------------------------------- incoming MSRP

  #onMsrpMessage(session: GroupSession, message: MsrpMessage): void {
    const type = (message.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    try {
      if (type === GROUP_STATE_CONTENT_TYPE) {
        // D1.vii: the group state object updates the participant information (and the re-join target); the
        // user's own address missing from it means the user was removed from the group.
        const result = this.store.groups.applyGroupState(
          session.groupKey,
          parseGroupState(message.body),
          this.aor,
        );
        if (result.applied)
          this.#emit('group-updated', result.group, result.removed ? 'left' : 'group-state');
        return;
      }
      if (type === 'message/cpim') {
        this.#onCpim(session.groupKey, session.kind, parseCpim(message.body));
        return;
      }
      this.#warn(`ignored MSRP content ${type || '(none)'} on ${session.id}`);
    } catch (err) {
      if (err instanceof StoreError) throw err; // not stored: the acceptor answers 500, the PF keeps it
      this.#warn(`unreadable ${type} on session ${session.id}`, err);
    }
  }

  /** A CPIM message: an IMDN about one of ours, or a chat message (logged once by imdn.Message-ID). */
  #onCpim(groupKey: string, arrivedOn: GroupSessionKind, cpim: CpimMessage): void {
    const receivedAt = new Date();
    if (isImdnCpim(cpim)) {
      const n = notificationFromCpim(cpim, readImdnCpim(cpim), { groupKey, receivedAt });
      if (!n) {
        this.#warn('IMDN without imdn.Message-ID or From');
        return;
      }
      const r = this.store.messages.recordNotification(n);
      if (!r.duplicate) this.#emit('notification', r.entry);
      return;
    }
    const entry = receivedFromCpim(cpim, { groupKey, arrivedOn, receivedAt });
    if (!entry) {
      this.#warn('chat message without imdn.Message-ID or From');
      return;
    }
    // architecture.md: re-delivery is de-duplicated by imdn.Message-ID.
    const r = this.store.messages.recordReceived(entry);
    if (!r.duplicate) this.#emit('message', r.entry);
    // RFC 5438 "delivered": sent once the message is in the user's store, i.e. after its commit.
    this.store.committed().then(
      () => void this.#notify(groupKey, entry.messageId, 'delivered'),
      () => undefined, // not stored: no notification; the sender's PF delivers it again
    );
  }

  async #notify(groupKey: string, messageId: string, event: DispositionEvent): Promise<ImdnSent | undefined> {
    const group = this.store.groups.get(groupKey);
    if (!group) return undefined;
    // Each notification once: a re-delivered message may arrive while the first notification is in flight.
    const flight = `${groupKey}\u0000${messageId}\u0000${event}`;
    if (this.#notifying.has(flight)) return undefined;
    this.#notifying.add(flight);
    try {
      const sent = await sendDisposition(
        { ua: this.ua, store: this.store, self: this.aor, activeSession: (k) => this.#activeSession(k) },
        group,
        messageId,
        event,
      );
      if (sent) this.#emit('imdn-sent', sent);
      return sent;
    } catch (err) {
      this.#warn(`${event} notification for ${messageId} not sent`, err);
      return undefined;
    } finally {
      this.#notifying.delete(flight);
    }
  }

  // ---------------------------------------------------------------- sessions

  #track(session: GroupSession): void {
    this.#sessions.add(session);
    // RFC 4975 §7.3: a message's 200 goes out once it is stored (the store's group commit), never before.
    session.msrp.acceptor = async (m) => {
      this.#onMsrpMessage(session, m);
      await this.store.committed();
      return 200;
    };
    session.once('ended', (reason, byeReason) => {
      this.#sessions.delete(session);
      const key = session.groupKey;
      if (session.kind === 'deferred') {
        // D1.viii: the deferred session has completed; a queued reply may now start a new session.
        this.#outbox.dispatch({ type: 'deferredSessionEnded', group: key });
      } else if (this.#activeStarted.has(session)) {
        if (!this.#activeSession(key)) this.store.groups.setSessionState(key, 'inactive');
        this.#outbox.dispatch({ type: 'activeSessionEnded', group: key });
      }
      // protocol-notes §7: BYE with Reason cause=410 means the group itself ended.
      if (byeReason !== undefined && /cause\s*=\s*410\b/i.test(byeReason)) {
        const left = this.store.groups.markLeft(key);
        if (left) this.#emit('group-updated', left, 'left');
      }
      const info: SessionInfo & { reason: string; byeReason?: string } = { ...sessionInfo(session), reason };
      if (byeReason !== undefined) info.byeReason = byeReason;
      this.#emit('session-ended', info);
    });
  }

  /** A sendrecv session is up (A2.i): queued messages go out on it; conference state is subscribed (D1.vi). */
  #activeSessionUp(session: GroupSession): void {
    if (session.state !== 'connected') return;
    this.#activeStarted.add(session);
    this.store.groups.setSessionState(session.groupKey, 'active');
    this.#outbox.dispatch({ type: 'activeSessionStarted', group: session.groupKey });
    if (maySubscribeConference(session.kind)) void this.#subscribe(session);
  }

  async #subscribe(session: GroupSession): Promise<void> {
    const group = this.store.groups.get(session.groupKey);
    if (!group) return;
    try {
      const sub = await subscribeConference(
        this.ua,
        group.conferenceUri,
        (participants) => {
          const updated = this.store.groups.update(session.groupKey, { participants });
          if (updated) this.#emit('group-updated', updated, 'conference');
        },
        (err) => this.#warn('bad conference NOTIFY', err),
      );
      if (session.state === 'ended') {
        await sub.unsubscribe().catch(() => undefined);
        sub.shutdown();
        return;
      }
      session.subscription = sub;
      this.#emit('subscribed', { groupKey: group.key, conferenceUri: group.conferenceUri });
    } catch (err) {
      this.#warn(`conference SUBSCRIBE to ${group.conferenceUri} failed`, err);
    }
  }

  #activeSession(groupKey: string): GroupSession | undefined {
    let found: GroupSession | undefined;
    for (const s of this.#sessions) {
      // A bound MSRP session is usable even while connect() is still returning: the PF may send the
      // backlog right after the binding SEND's 200, and its notifications belong on that session (A2.i).
      if (s.groupKey === groupKey && s.kind === 'active' && s.state !== 'ended' && s.msrp.state === 'bound')
        found = s;
    }
    return found;
  }

  /**
   * Our INVITE for a group session (R3 / D1.viii re-join to the conference URI; restart or creation through
   * the factory with the recipient list), then MSRP as the connecting side (offer a=setup:active).
   */
  async #establish(
    groupKey: string,
    requestUri: string,
    ids: GroupIds,
    recipients: Participant[] | undefined,
  ): Promise<Established> {
    if (!this.registration.online) throw new CpmClientError('not-registered', `${this.user} is offline`);
    await this.msrp.listening();
    const msrp = this.msrp.createSession({ setup: 'active', acceptTypes: CLIENT_ACCEPT_TYPES });
    const sdp = msrpSdp({ host: this.msrp.host, port: this.msrp.port, path: msrp.localPath }, 'sendrecv');
    const contact = sessionContact(this.ua.contactUri('tcp'), this.instanceId);
    const body = recipients
      ? recipientListBody(sdp, recipients)
      : { contentType: 'application/sdp', body: Buffer.from(sdp) };
    const headers = sessionInviteHeaders(
      ids,
      contact,
      recipients ? [['Require', 'recipient-list-invite']] : [],
    );
    let sip: InviteSession;
    try {
      sip = await this.ua.invite(requestUri, { body: body.body, contentType: body.contentType, headers })
        .session;
    } catch (err) {
      msrp.close();
      throw err;
    }
    let answer: MsrpMediaDescription;
    try {
      answer = parseMsrpSdp(sdpOf(sip.response));
    } catch (err) {
      msrp.close();
      await sip.bye().catch(() => undefined);
      throw new CpmClientError('session-failed', `unusable SDP answer: ${errText(err)}`, 488);
    }
    // RFC 4145 §4.1: with our a=setup:active offer the answerer must be passive (we connect).
    if (connectingSide(answer.setup ?? 'passive') !== 'offerer') {
      msrp.close();
      await sip.bye().catch(() => undefined);
      throw new CpmClientError(
        'session-failed',
        `answer a=setup:${answer.setup} would make the PF connect`,
        488,
      );
    }
    const session = new GroupSession({ groupKey, kind: 'active', role: 'uac', sip, msrp });
    this.#track(session);
    await session.connect(answer.path);
    this.#emit('session-started', sessionInfo(session));
    return { session, focus: focusOf(sip.response) };
  }

  // ---------------------------------------------------------------- outbox commands

  #execute(command: OutboxCommand): void {
    switch (command.type) {
      case 'rejoin':
        void this.#rejoin(command.group, command.clause);
        return;
      case 'restart-via-factory':
        void this.#restart(command.group);
        return;
      case 'send-on-session':
        void this.#sendOnSession(command.group, command.message);
        return;
    }
  }

  /** R3 / D1.viii: INVITE to the conference URI with the group's IDs; 404 → restart (protocol-notes §7). */
  async #rejoin(key: string, clause: 'D1.viii' | 'R3'): Promise<void> {
    const group = this.store.groups.get(key);
    if (!group || group.left) {
      this.#warn(`no re-join: group ${key} is ${group ? 'left' : 'unknown'}`);
      this.#outbox.dispatch({ type: 'rejoinFailed', group: key, status: 410 });
      return;
    }
    const req = rejoinRequest(group);
    let established: Established;
    try {
      established = await this.#establish(key, req.requestUri, req, undefined);
    } catch (err) {
      const status = statusOf(err) ?? 408;
      this.#emit('rejoin', { groupKey: key, kind: 'rejoin', outcome: 'failed', status, clause });
      this.#outbox.dispatch({ type: 'rejoinFailed', group: key, status });
      // 404 goes on with a restart through the factory; any other failure is tried again on our own.
      if (status !== 404) this.#scheduleRejoinRetry(key);
      return;
    }
    this.#rejoinAttempts.delete(key);
    this.#emit('rejoin', { groupKey: key, kind: 'rejoin', outcome: 'ok', clause });
    this.#activeSessionUp(established.session);
  }

  /** protocol-notes §7: restart through the factory with the same IDs and the stored participant list. */
  async #restart(key: string): Promise<void> {
    const group = this.store.groups.get(key);
    if (!group) {
      this.#outbox.dispatch({ type: 'restartFailed', group: key, status: 404 });
      return;
    }
    const req = factoryRestartRequest(group, this.aor, this.#factoryUri);
    let established: Established;
    try {
      established = await this.#establish(key, req.requestUri, req, req.recipients);
    } catch (err) {
      const status = statusOf(err) ?? 408;
      this.#emit('rejoin', { groupKey: key, kind: 'restart', outcome: 'failed', status, clause: 'R3' });
      this.#outbox.dispatch({ type: 'restartFailed', group: key, status });
      this.#scheduleRejoinRetry(key);
      return;
    }
    this.#rejoinAttempts.delete(key);
    if (established.focus && !sameAor(established.focus, group.conferenceUri)) {
      const updated = this.store.groups.update(key, { conferenceUri: established.focus });
      if (updated) this.#emit('group-updated', updated, 'restarted');
    }
    this.#emit('rejoin', { groupKey: key, kind: 'restart', outcome: 'ok', clause: 'R3' });
    this.#activeSessionUp(established.session);
  }

  /** A2.i.3: a chat message on the group's active session (CPIM, IMDN requested). */
  async #sendOnSession(key: string, message: OutgoingMessage): Promise<void> {
    const session = this.#activeSession(key);
    const group = this.store.groups.get(key);
    if (!session || !group) {
      this.#requeue(key, message, 'no active session');
      return;
    }
    const sentAt = new Date();
    const { body, contentType } = chatCpim({
      self: this.aor,
      conferenceUri: group.conferenceUri,
      messageId: message.id,
      text: message.text,
      dateTime: sentAt,
    });
    try {
      await session.msrp.send(body, { contentType });
    } catch (err) {
      this.#requeue(key, message, errText(err));
      return;
    }
    this.#attempts.delete(message.id);
    const sent = this.store.messages.recordSent({
      groupKey: key,
      messageId: message.id,
      text: message.text,
      sentAt,
      requested: REQUESTED_DISPOSITIONS,
    });
    this.#emit('sent', sent);
  }

  #requeue(key: string, message: OutgoingMessage, why: string): void {
    const attempts = (this.#attempts.get(message.id) ?? 0) + 1;
    if (attempts >= MAX_SEND_ATTEMPTS || this.#closed) {
      this.#attempts.delete(message.id);
      this.#emit('send-failed', { groupKey: key, messageId: message.id, error: why });
      return;
    }
    this.#attempts.set(message.id, attempts);
    this.#warn(`message ${message.id} not sent (${why}); queued again`);
    const live = this.#activeSession(key);
    if (!live) this.#outbox.dispatch({ type: 'activeSessionEnded', group: key });
    this.#outbox.dispatch({ type: 'userTyped', group: key, message });
  }

  // ---------------------------------------------------------------- helpers

  /**
   * R3: messages still queued after a failed re-join (no answer, 5xx, 486 while a deferred session runs...)
   * are not left waiting for the next registration: the re-join is tried again after 1 s, 2 s, 4 s … up to
   * 60 s, while registered (the outbox decides whether it is still allowed).
   */
  #scheduleRejoinRetry(key: string): void {
    if (this.#closed) return;
    const previous = this.#rejoinAttempts.get(key);
    clearTimeout(previous?.timer);
    const attempt = (previous?.attempt ?? 0) + 1;
    const delay = Math.min(this.#rejoinRetryBaseMs * 2 ** (attempt - 1), 60_000);
    const timer = setTimeout(() => {
      if (this.#closed) return;
      this.#outbox.dispatch({ type: 'retry', group: key });
    }, delay);
    timer.unref();
    this.#rejoinAttempts.set(key, { attempt, timer });
  }

  #onRegistration(status: RegistrationStatus): void {
    this.#emit('registration', status);
    clearTimeout(this.#registeredTimer);
    this.#registeredTimer = undefined;
    if (status.state === 'online') {
      // R3 / D1.viii: on registration the PF invites us for deferred messages. With messages queued, give
      // that invitation a moment to arrive, so the re-join comes after the deferred session, not across it.
      const queued = Object.values(this.#outbox.state.groups).some((g) => g.queue.length > 0);
      if (!queued || this.#invitationGraceMs === 0) {
        this.#outbox.dispatch({ type: 'registered' });
        return;
      }
      this.#registeredTimer = setTimeout(() => {
        this.#registeredTimer = undefined;
        if (!this.#closed) this.#outbox.dispatch({ type: 'registered' });
      }, this.#invitationGraceMs);
      this.#registeredTimer.unref();
    } else if (status.state === 'offline' || status.state === 'failed') {
      this.#outbox.dispatch({ type: 'deregistered' });
    }
  }

  /**
   * Offline after going offline (POST /offline, de-registration or drop) or losing the registration (flow lost,
   * refresh failed). A client that was never registered ('initial') still answers requests that reach its
   * port directly (SIPp playing the PF).
   */
  #offline(): boolean {
    const status = this.registration.status;
    return status.state === 'failed' || (status.state === 'offline' && status.reason !== 'initial');
  }

  #toAor(user: string): string {
    return user.startsWith('sip:') ? user : `sip:${user}@${this.domain}`;
  }

  #assertOpen(): void {
    if (this.#closed) throw new CpmClientError('closed', `client ${this.user} is closed`);
  }

  #warn(message: string, error?: unknown): void {
    const info: { message: string; error?: string } = { message };
    if (error !== undefined) info.error = errText(error);
    this.logger.warn(message, info.error !== undefined ? { error: info.error } : {});
    this.#emit('warning', info);
  }

  #emit<K extends keyof CpmClientEvents>(event: K, ...args: CpmClientEvents[K]): void {
    try {
      // The cast bridges EventEmitter's generic key type and our event map (same tuple types).
      (this.emit as (e: K, ...a: CpmClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error('client event listener failed', { event, error: errText(err) });
    }
  }
}

interface Established {
  session: GroupSession;
  /** RFC 4579 §3.1: the conference URI from the 2xx Contact with `isfocus`. */
  focus: string | undefined;
}

function sessionInfo(s: GroupSession): SessionInfo {
  const info: SessionInfo = {
    id: s.id,
    groupKey: s.groupKey,
    kind: s.kind,
    role: s.role,
    state: s.state,
    msrpPath: s.msrp.localPath,
    subscribed: s.subscription !== undefined,
    startedAt: s.startedAt.toISOString(),
  };
  const peer = s.msrp.peerPath;
  if (peer) info.peerPath = peer.map((u) => `${u.scheme}://${u.host}:${u.port}/${u.sessionId}`).join(' ');
  return info;
}

/** RFC 4975 §5.4: a passive session whose peer never connects and binds fails after `ms`. */
function bindWithin(bound: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no MSRP connection from the offerer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([bound, expired]).finally(() => clearTimeout(timer));
}

function statusOf(err: unknown): number | undefined {
  if (err instanceof SipRequestError) return err.status;
  if (err instanceof CpmClientError) return err.status;
  return undefined;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function safeFrom(req: SipRequest): string {
  try {
    return aorOf(req.from.uri);
  } catch {
    return '(unreadable From)';
  }
}

/** The SDP of a 2xx: the body, or its application/sdp part when multipart. */
function sdpOf(response: SipResponse): Buffer {
  return bodyOfType(response.body, response.contentType, 'application/sdp') ?? response.body;
}

function focusOf(response: SipResponse): string | undefined {
  try {
    const focus = response.contacts.find((c) => c.params.has('isfocus'));
    return focus ? aorOf(focus.uri) : undefined;
  } catch {
    return undefined;
  }
}
