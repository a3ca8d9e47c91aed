// The Controlling Function (the conference focus of OMA CPM 7.3.2; protocol profile §7): group INVITEs to
// the conference factory and to conference URIs (create, restart, join), the legs and the group session
// they belong to, invitations of the other members into a (re)started session, the conference event
// package (RFC 4575), and what members learn when the membership changes (D1.vii).
import type { MessageAcceptor, MsrpSession } from '../../protocol/msrp/index.js';
import { CONTRIBUTION_ID, CONVERSATION_ID, ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import { answerSetup, type MsrpMediaDescription, parseMsrpSdp } from '../../protocol/sdp/index.js';
import { ConferenceEvents, conferenceUser } from './conference-events.js';
import {
  aorKey,
  classifyGroupInvite,
  type CpimPayloadInfo,
  createGroup,
  describeCpimPayload,
  type Group,
  type GroupLookup,
  groupStateBody,
  isMember,
  type NewGroupInput,
  outcomeLabel,
  participantRemovedNotice,
} from './domain/index.js';
import type { RoleDeps } from './role-deps.js';
import { GONE_REASON, GroupSession, type GroupSessionHost, type SessionEndReason } from './group-session.js';
import { assertedIdentity, readInviteBody } from './incoming-requests.js';
import { answerSdp, focusContact, PF_ACCEPT_TYPES } from './invitations.js';
import { Leg } from './leg.js';
import type { NotificationRouter } from './notifications.js';
import { type InviteOptions, inviteUser } from './outgoing-invite.js';
import type { PfInviteResponse, PfInviteDialog, SipRequest, PfSubscribeResponse } from './signalling.js';

export interface ControllingDeps extends RoleDeps {
  domain: string;
  factoryUri: string;
  idleTimeoutMs: number;
  notifications: NotificationRouter;
}

export class ControllingFunction implements GroupSessionHost {
  readonly #deps: ControllingDeps;
  readonly #conference: ConferenceEvents;
  /** Legs outside any live session: deferred deliveries, and sendrecv legs whose session ended during setup. */
  readonly #legsOutsideSessions = new Set<Leg>();

  constructor(deps: ControllingDeps) {
    this.#deps = deps;
    this.#conference = new ConferenceEvents(deps.sink('conference NOTIFY failed'));
  }

  /** Users subscribed to the conference event package of `groupId`. */
  subscribers(groupId: string): string[] {
    return this.#conference.subscribers(groupId);
  }

  // ---- incoming INVITE: factory and conference URIs (protocol profile §7) ----

  async onInvite(req: SipRequest, res: PfInviteResponse): Promise<void> {
    const { stores, events, inFlight } = this.#deps;
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
    const decision = classifyGroupInvite(groupInvite, this.#lookup(), this.#deps.factoryUri);
    if (decision.action === 'reject') {
      await res.reject(decision.status, { reason: decision.reason });
      events.emit('group-invite-rejected', { from, requestUri, status: decision.status });
      return;
    }
    if (decision.action !== 'create' && inFlight.get(from, decision.group.id)?.kind === 'deferred') {
      // D1.viii: the user's re-join crossed our deferred INVITE. The client re-joins after that session's BYE;
      // taking both would deliver the backlog twice (RFC 3261 §21.4.24: busy with another session).
      await res.reject(486, { reason: 'Deferred Delivery In Progress' });
      events.emit('group-invite-rejected', { from, requestUri, status: 486, reason: 'deferred-delivery' });
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
          domain: this.#deps.domain,
          now: this.#deps.now(),
        };
        const subject = req.get('subject');
        if (subject !== undefined) init.subject = subject;
        if (conversationId) init.conversationId = conversationId;
        if (contributionId) init.contributionId = contributionId;
        group = stores.groups.create(createGroup(init));
        events.emit('group-created', {
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
        events.emit('session-restart', {
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
    const marked = inFlight.begin(from, group.id, 'joining');
    let leg: Leg | undefined;
    try {
      // The joining client knows the group now (R3): lift a 481 stop.
      await this.#deps
        .batcherRun(() => stores.deferred.resumeDelivery(from, group.id))
        .catch(this.#deps.sink('481 stop not lifted', { user: from, groupId: group.id }));
      leg = await this.#acceptLeg(req, res, group, from, offer, (l) => session.addLeg(l));
    } finally {
      if (marked) inFlight.end(from, group.id);
    }
    if (!leg) {
      if (session.connectedUsers().length === 0 && invite.length === 0) session.end('empty');
      return;
    }
    void this.#deps.backlog
      .flushThenLive(leg)
      .catch(this.#deps.sink('backlog of a joining user not delivered', { user: from, groupId: group.id }));
    for (const user of invite) void this.inviteToSession(group, user, referredBy);
  }

  /** Answer a client's offer (RFC 3264; setup by RFC 4145/6135 answer rules) and set up its MSRP session. */
  async #acceptLeg(
    req: SipRequest,
    res: PfInviteResponse,
    group: Group,
    user: string,
    offer: MsrpMediaDescription,
    /** Puts the leg in its session (which takes its messages from then on). */
    join: (leg: Leg) => void,
  ): Promise<Leg | undefined> {
    const { msrp: endpoint, sink } = this.#deps;
    const setup = answerSetup(offer.setup);
    const msrp: MsrpSession = endpoint.createSession({ setup, acceptTypes: PF_ACCEPT_TYPES });
    // The client may send as soon as it has our 2xx, before accept() returns here (a SIP engine in another
    // process, drachtio-server, confirms the 2xx later): such messages wait until the leg has joined its
    // session, which installs its own acceptor; their 200 waits too (RFC 4975 §7.3: no 200 before the message
    // is safe). A leg that never joins answers 481 (RFC 4975 §7.3.1: no such session), so the client keeps it.
    let handOver!: () => void;
    const joined = new Promise<void>((resolve) => {
      handOver = resolve;
    });
    const holding: MessageAcceptor = async (message) => {
      await joined;
      const next = msrp.acceptor;
      return next === holding || next === undefined ? 481 : next(message);
    };
    msrp.acceptor = holding;
    const answer = answerSdp(offer, { address: endpoint.host, port: endpoint.port, path: msrp.localPath });
    const context = { user, groupId: group.id };
    // Passive: ready for the client's connection before it can see our 2xx.
    if (setup === 'passive')
      msrp.start(offer.path.join(' ')).catch(sink('MSRP session did not start', context));
    let sip: PfInviteDialog;
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
      handOver();
      msrp.close();
      this.#deps.logger.info('INVITE not accepted', { callId: req.callId, error: String(err) });
      return undefined;
    }
    const leg = new Leg({
      user,
      groupId: group.id,
      sip,
      msrp,
      mode: 'session',
      onIgnoredError: (what) => sink(what, context),
    });
    join(leg);
    handOver();
    if (setup === 'active') {
      // RFC 6135 §4: we connect, once the ACK confirmed the session.
      sip.acked.then(
        () => msrp.start(offer.path.join(' ')).catch(sink('MSRP session did not start', context)),
        sink('no ACK for the 2xx', context),
      );
    }
    return leg;
  }

  // ---- group sessions ----

  #startSession(group: Group): GroupSession {
    const { sessions, stores, events } = this.#deps;
    const existing = sessions.active(group.id);
    if (existing) return existing;
    const now = this.#deps.now();
    const session = new GroupSession(group.id, this, this.#deps.idleTimeoutMs, now);
    sessions.set(session);
    stores.groups.recordSessionStart(group.id, group.contributionId, now);
    events.emit('session-started', { groupId: group.id, contributionId: group.contributionId });
    return session;
  }

  /** protocol profile §7: invite a member into the (re)started session; backlog first, then live traffic. */
  async inviteToSession(group: Group, user: string, referredBy?: string): Promise<void> {
    const { inFlight, events, sessions } = this.#deps;
    if (!inFlight.begin(user, group.id, 'session-invite')) return;
    try {
      const options: InviteOptions = { icsi: ICSI_CPM_SESSION, direction: 'sendrecv' };
      if (referredBy !== undefined) options.referredBy = referredBy;
      const outcome = await inviteUser(this.#deps, group, user, options);
      if (!outcome.ok) {
        events.emit('session-invite-failed', {
          user,
          groupId: group.id,
          outcome: outcomeLabel(outcome.result),
        });
        return;
      }
      const session = sessions.active(group.id);
      if (!session) {
        // The session ended meanwhile: whatever the client manages to send before our BYE is stored.
        this.trackLegOutsideSession(outcome.leg);
        await outcome.leg.end();
        return;
      }
      events.emit('session-invite-accepted', { user, groupId: group.id });
      session.addLeg(outcome.leg);
      await this.#deps.backlog
        .flushThenLive(outcome.leg)
        .catch(this.#deps.sink('backlog of an invited member not delivered', { user, groupId: group.id }));
    } finally {
      inFlight.end(user, group.id);
    }
  }

  /**
   * A leg outside any live session: a deferred (sendonly) one, or a sendrecv one whose session ended while it
   * was set up. D1.ii wants IMDNs over SIP MESSAGE, but one sent over MSRP is routed too; a chat message on a
   * sendrecv leg (the client was told the session is active, A2.i) is stored for the other members.
   */
  trackLegOutsideSession(leg: Leg): void {
    const { notifications, events } = this.#deps;
    this.#legsOutsideSessions.add(leg);
    leg.once('ended', () => this.#legsOutsideSessions.delete(leg));
    // The final 200 waits until a notification is relayed or the item is committed (no loss).
    leg.msrp.acceptor = async (m) => {
      const info = /^message\/cpim\b/i.test(m.contentType ?? '') ? describeCpimPayload(m.body) : undefined;
      if (info?.kind === 'imdn') await notifications.route(leg.groupId, m.body, m.contentType!, info);
      else if (info && leg.mode === 'session')
        await notifications.storeForOthers(leg, m.body, m.contentType!, info);
      else
        events.emit('message-ignored', { groupId: leg.groupId, user: leg.user, reason: 'deferred session' });
      return undefined;
    };
  }

  /** POST /groups/:id/end: BYE every participant (no Reason); the group persists, its session is inactive. */
  endSession(groupId: string): boolean {
    const session = this.#deps.sessions.active(groupId);
    if (!session) return false;
    session.end('operator');
    return true;
  }

  /** A deleted group: BYE with Reason 410 Gone to everyone connected, its subscriptions terminated. */
  groupDeleted(groupId: string): void {
    this.#deps.sessions.get(groupId)?.end('deleted');
    for (const leg of [...this.#legsOutsideSessions]) if (leg.groupId === groupId) void leg.end(GONE_REASON);
    this.#conference.terminateAll(groupId, 'noresource');
  }

  // ---- GroupSessionHost: what a group session asks of its focus ----

  group(groupId: string): Group | undefined {
    return this.#deps.stores.groups.get(groupId);
  }

  store(groupId: string, recipients: string[], body: Buffer, contentType: string, info: CpimPayloadInfo) {
    return this.#deps.backlog.store(groupId, recipients, body, contentType, info);
  }

  routeNotification(groupId: string, body: Buffer, contentType: string, info: CpimPayloadInfo) {
    return this.#deps.notifications.route(groupId, body, contentType, info);
  }

  rosterChanged(groupId: string, user: string, connected: boolean): void {
    const group = this.#deps.stores.groups.get(groupId);
    if (!group || !isMember(group, user)) return;
    this.#conference.changed(group, [conferenceUser(group, user, connected)]);
  }

  ended(session: GroupSession, reason: SessionEndReason): void {
    const { sessions, stores, events } = this.#deps;
    sessions.remove(session);
    this.#conference.terminateAll(session.groupId, 'noresource');
    if (reason !== 'deleted') {
      try {
        stores.groups.recordSessionEnd(session.groupId, this.#deps.now());
      } catch (err) {
        this.#deps.sink('session end not recorded', { groupId: session.groupId })(err);
      }
    }
    events.emit('session-ended', { groupId: session.groupId, reason, relayed: session.relayed });
  }

  log(type: string, data: Record<string, unknown>): void {
    this.#deps.events.emit(type, data);
  }

  // ---- membership changes (D1.vii) ----

  /**
   * Members were added: subscribers get conference-info, connected legs the group state object (D1.vii);
   * offline members learn it with their next deferred delivery.
   */
  membersAdded(group: Group, uris: string[]): void {
    const connected = new Set(this.#deps.sessions.connectedUsers(group.id));
    this.#conference.changed(
      group,
      uris.map((uri) => conferenceUser(group, uri, connected.has(uri))),
    );
    this.#sendGroupStateToConnected(group);
  }

  /** protocol profile §4 (603): tell the remaining members: conference-info partial NOTIFY + group state object. */
  participantRemoved(group: Group, removed: string): void {
    this.#deps.events.emit('participant-removed', { groupId: group.id, user: removed });
    this.#conference.notifyEach(group, (version) => participantRemovedNotice(group, removed, version));
    this.#sendGroupStateToConnected(group);
    void this.#deps.sessions.leg(group.id, removed)?.end();
  }

  /** D1.vii: the current group state object to every participant taking live traffic in the session. */
  #sendGroupStateToConnected(group: Group): void {
    const session = this.#deps.sessions.active(group.id);
    if (!session) return;
    const { body, contentType } = groupStateBody(group);
    for (const user of session.connectedUsers()) {
      const leg = session.leg(user);
      if (leg?.live)
        leg.msrp
          .send(body, { contentType })
          .catch(this.#deps.sink('group state object not sent', { user, groupId: group.id }));
    }
  }

  // ---- SUBSCRIBE: conference event package (RFC 4575; protocol profile §7) ----

  async onSubscribe(req: SipRequest, res: PfSubscribeResponse): Promise<void> {
    if (res.event !== 'conference') {
      await res.send(489, { reason: 'Bad Event' }); // RFC 6665 §8.2.2
      return;
    }
    const group = this.#deps.stores.groups.byConferenceUri(req.uri);
    if (!group) {
      await res.send(404);
      return;
    }
    const user = assertedIdentity(req);
    if (!isMember(group, user)) {
      await res.send(403, { reason: 'Not a participant' });
      return;
    }
    const session = this.#deps.sessions.active(group.id);
    if (!session) {
      // D1.vi: no conference state outside an active session.
      await res.send(480, { reason: 'Session Inactive' });
      return;
    }
    const sub = await res.accept({ expires: 3600 });
    this.#conference.add(group, user, sub, new Set(session.connectedUsers()));
    this.#deps.events.emit('conference-subscribed', { groupId: group.id, user });
  }

  #lookup(): GroupLookup {
    const { stores, sessions, registrations } = this.#deps;
    return {
      byConferenceUri: (uri) => stores.groups.byConferenceUri(uri),
      byConversationId: (id) => stores.groups.byConversationId(id),
      sessionState: (id) => sessions.state(id),
      isRegistered: (user) => registrations.isRegistered(user),
    };
  }

  /** End every session (BYE) and every leg outside one. */
  close(): void {
    for (const session of this.#deps.sessions.all()) session.end('shutdown');
    for (const leg of [...this.#legsOutsideSessions]) void leg.end();
  }
}
