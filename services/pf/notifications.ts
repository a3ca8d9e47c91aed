// Notifications (protocol profile §6): disposition notifications reach the original sender over MSRP when it
// takes live traffic in the group session, by SIP MESSAGE when it is registered but not in the session, and
// are stored otherwise; never dropped. Also SIP MESSAGEs addressed to the PF: IMDNs to a conference URI, and
// (terminating-unregistered routing at the CSCF) IMDNs for a member who has no reachable contact.
import { cpimTo, parseCpim, requireCpimBody } from '../../protocol/cpim/index.js';
import { formatUri } from '../../protocol/sip/index.js';
import type { NodeEvents } from '../../runtime/index.js';
import type { Backlog } from './backlog.js';
import { aorKey, type CpimPayloadInfo, describeCpimPayload, isMember, members } from './domain/index.js';
import type { ErrorSink } from './error-sink.js';
import { notificationMessageHeaders } from './invitations.js';
import type { Leg } from './leg.js';
import type { RegistrationWatch } from './registration-watch.js';
import type { SessionRegistry } from './session-registry.js';
import type { PfSignalling, PfResponse, SipRequest } from './signalling.js';
import type { PfStores } from './store/index.js';

export interface NotificationDeps {
  signalling: PfSignalling;
  sessions: SessionRegistry;
  registrations: RegistrationWatch;
  backlog: Backlog;
  stores: PfStores;
  events: NodeEvents;
  sink: ErrorSink;
}

/**
 * The CPIM payload of a SIP MESSAGE, or undefined after answering: 415 with Accept: message/cpim for another
 * body type (requireCpimBody), 400 for CPIM that does not parse.
 */
async function cpimPayloadOrReject(req: SipRequest, res: PfResponse): Promise<CpimPayloadInfo | undefined> {
  if (!(await requireCpimBody(req, res))) return undefined;
  const info = describeCpimPayload(req.body);
  if (!info) await res.send(400, { reason: 'Bad CPIM' });
  return info;
}

export class NotificationRouter {
  readonly #deps: NotificationDeps;

  constructor(deps: NotificationDeps) {
    this.#deps = deps;
  }

  /** A SIP MESSAGE to the PF: an IMDN for a conference URI, or for a member without a reachable contact. */
  async onMessage(req: SipRequest, res: PfResponse): Promise<void> {
    const group = this.#deps.stores.groups.byConferenceUri(req.uri);
    if (!group) {
      await this.#onMessageForUnregistered(req, res);
      return;
    }
    const info = await cpimPayloadOrReject(req, res);
    if (!info) return;
    if (info.kind !== 'imdn') {
      await res.send(488, { reason: 'Chat messages go over the MSRP session' });
      return;
    }
    try {
      await this.route(group.id, req.body, 'message/cpim', info);
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
  async #onMessageForUnregistered(req: SipRequest, res: PfResponse): Promise<void> {
    const { stores, backlog, events } = this.#deps;
    const conversationId = req.get('conversation-id');
    const group = conversationId
      ? stores.groups.byConversationId(conversationId.trim(), req.get('contribution-id')?.trim())
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
    const info = await cpimPayloadOrReject(req, res);
    if (!info) return;
    if (info.kind !== 'imdn') {
      await res.send(488, { reason: 'Only disposition notifications are stored for an unregistered member' });
      return;
    }
    try {
      await backlog.store(group.id, [recipient], req.body, 'message/cpim', info);
    } catch {
      await res.send(500, { reason: 'Notification not stored' });
      return;
    }
    events.emit('notification-routed', {
      groupId: group.id,
      to: recipient,
      via: 'store',
      messageId: info.messageId,
    });
    await res.send(202);
  }

  /**
   * protocol profile §6: a notification goes to the original sender (CPIM To): over MSRP when it takes live
   * traffic in the session, by SIP MESSAGE when it is registered but not in the session, stored otherwise (and
   * when the MESSAGE fails). Never dropped.
   */
  async route(groupId: string, body: Buffer, contentType: string, info: CpimPayloadInfo): Promise<void> {
    const { sessions, stores, registrations, signalling, backlog, events, sink } = this.#deps;
    let target: string | undefined;
    try {
      const to = cpimTo(parseCpim(body))[0];
      target = to === undefined ? undefined : aorKey(to.uri);
    } catch {
      target = undefined;
    }
    if (target === undefined) {
      events.emit('notification-unroutable', { groupId, messageId: info.messageId });
      return;
    }
    const session = sessions.get(groupId);
    const leg = session?.leg(target);
    if (session && leg?.live) {
      session.deliverLive(leg, body, contentType, info);
      events.emit('notification-routed', { groupId, to: target, via: 'msrp', messageId: info.messageId });
      return;
    }
    const group = stores.groups.get(groupId);
    if (group && !leg && registrations.isRegistered(target)) {
      const to = target;
      signalling
        .message(to, body, {
          contentType: 'message/cpim',
          from: `<${group.conferenceUri}>`,
          headers: notificationMessageHeaders(group),
        })
        .then(
          () =>
            events.emit('notification-routed', {
              groupId,
              to,
              via: 'sip-message',
              messageId: info.messageId,
            }),
          (err: unknown) => {
            events.emit('notification-message-failed', { groupId, to, error: String(err) });
            backlog
              .store(groupId, [to], body, contentType, info)
              .catch(sink('notification not stored after its MESSAGE failed', { groupId, to }));
          },
        );
      return;
    }
    await backlog.store(groupId, [target], body, contentType, info);
  }

  /** A chat message from `leg` with no live session to relay it: stored for every other member (then delivered). */
  async storeForOthers(leg: Leg, body: Buffer, contentType: string, info: CpimPayloadInfo): Promise<void> {
    const group = this.#deps.stores.groups.get(leg.groupId);
    if (!group) return;
    const others = members(group)
      .map((p) => p.uri)
      .filter((uri) => uri !== leg.user);
    this.#deps.events.emit('message-stored-without-session', {
      groupId: leg.groupId,
      from: leg.user,
      messageId: info.messageId,
      recipients: others.length,
    });
    if (others.length > 0) await this.#deps.backlog.store(leg.groupId, others, body, contentType, info);
  }
}
