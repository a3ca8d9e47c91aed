// Which channel carries a disposition notification for a received message (D1.ii, A2.i, protocol-notes §6),
// and what goes in it. The wiring layer turns the description into a SIP MESSAGE or an MSRP SEND.
import { CPIM_CONTENT_TYPE, type CpimMessage, serializeCpim } from '../../protocol/cpim/index.js';
import { CONTRIBUTION_ID, CONVERSATION_ID } from '../../protocol/cpm/index.js';
import { buildImdnCpim, type ImdnNotification } from '../../protocol/imdn/index.js';
import type { ClauseRef } from './clauses.js';
import type { GroupRecord } from './group.js';
import type { ReceivedMessage } from './messages.js';

/** What the user's client observed about a received message. */
export type DispositionEvent = 'delivered' | 'displayed';

export interface ImdnRouteInput {
  message: ReceivedMessage;
  group: GroupRecord;
  /** The user's own AoR: CPIM From of the notification. */
  self: string;
  event: DispositionEvent;
  /** The group's active (sendrecv) session, if one exists now; opaque to this module. */
  activeSession?: string;
  /** The notification's own imdn.Message-ID; fresh when absent. */
  notificationId?: string;
  now?: Date;
}

interface RouteBase {
  /** The notification in CPIM (RFC 5438 §7.1.1), and serialized for the wire. */
  cpim: CpimMessage;
  body: Buffer;
  contentType: typeof CPIM_CONTENT_TYPE;
  /** Which notification of the message this is, for MessageLog.markNotified. */
  event: DispositionEvent;
  clauses: ClauseRef[];
}

export interface SipMessageRoute extends RouteBase {
  channel: 'sip-message';
  /** D1.ii: R-URI and To are the original sender (R-URI: the top IMDN-Route when there is one, RFC 5438 §4). */
  requestUri: string;
  to: string;
  /** The user (the SIP From identity). */
  from: string;
  /** D1.ii: the group's Conversation-ID / Contribution-ID (absent only for a group learned without IDs). */
  headers: { name: typeof CONVERSATION_ID | typeof CONTRIBUTION_ID; value: string }[];
}

export interface MsrpRoute extends RouteBase {
  channel: 'msrp';
  /** A2.i: the active group session to SEND on. */
  session: string;
}

export interface NoRoute {
  channel: 'none';
  reason: 'not-requested' | 'already-sent';
}

export type ImdnRoute = SipMessageRoute | MsrpRoute | NoRoute;

/** RFC 5438 §6.2: which requested disposition an event answers. */
function requestedFor(message: ReceivedMessage, event: DispositionEvent): boolean {
  return event === 'delivered'
    ? message.requested.includes('positive-delivery')
    : message.requested.includes('display');
}

function notificationFor(event: DispositionEvent): ImdnNotification {
  return event === 'delivered'
    ? { kind: 'delivery', status: 'delivered' }
    : { kind: 'display', status: 'displayed' };
}

/**
 * Route one disposition notification. Only a requested notification is sent, once. A message that arrived on
 * an active session while that session (or a new active one) is up goes back over MSRP (A2.i.2); one that
 * arrived on a deferred session goes over SIP MESSAGE (D1.ii), and so does one from an active session that has
 * since ended (OMA CPM 5.4: SIP MESSAGE is the session-less channel).
 */
export function routeDisposition(input: ImdnRouteInput): ImdnRoute {
  const { message, group, self, event } = input;
  if (!requestedFor(message, event)) return { channel: 'none', reason: 'not-requested' };
  if (event === 'delivered' ? message.notified.delivery : message.notified.display) {
    return { channel: 'none', reason: 'already-sent' };
  }
  // protocol-notes §6: CPIM From = the recipient (the user), CPIM To = the original sender.
  const cpim = buildImdnCpim({
    from: { uri: self },
    to: { uri: message.from },
    notification: {
      messageId: message.messageId,
      dateTime: message.dateTime !== undefined ? new Date(message.dateTime) : new Date(message.receivedAt),
      recipientUri: self,
      notification: notificationFor(event),
    },
    // RFC 5438 §4: IMDN-Record-Route of the message becomes IMDN-Route of the notification, same order.
    ...(message.imdnRecordRoute !== undefined ? { route: message.imdnRecordRoute } : {}),
    ...(input.notificationId !== undefined ? { messageId: input.notificationId } : {}),
    dateTime: input.now ?? new Date(),
  });
  const base: RouteBase = {
    cpim,
    body: serializeCpim(cpim),
    contentType: CPIM_CONTENT_TYPE,
    event,
    clauses: [],
  };
  if (message.arrivedOn === 'active' && input.activeSession !== undefined) {
    // A2.i.2: delivery notifications go back on the same (active) group session.
    return { ...base, channel: 'msrp', session: input.activeSession, clauses: ['A2.i'] };
  }
  const headers: SipMessageRoute['headers'] = [];
  if (group.conversationId !== undefined)
    headers.push({ name: CONVERSATION_ID, value: group.conversationId });
  if (group.contributionId !== undefined)
    headers.push({ name: CONTRIBUTION_ID, value: group.contributionId });
  return {
    ...base,
    channel: 'sip-message',
    // D1.ii: R-URI and To = the original sender; RFC 5438 §4: with an IMDN-Route, the R-URI is its top URI
    // (the intermediary that asked to see the notification), To stays the original sender.
    requestUri: message.imdnRecordRoute?.[0] ?? message.from,
    to: message.from,
    from: self,
    headers,
    clauses: message.arrivedOn === 'deferred' ? ['D1.ii'] : ['OMA CPM 5.4'],
  };
}
