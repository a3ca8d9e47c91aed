// Sends a disposition notification on the channel routeDisposition chose (D1.ii: SIP MESSAGE to the original
// sender for a deferred session; A2.i: MSRP SEND on the active session) and marks it sent in the log.
import type { UserAgent } from '../../protocol/sip/index.js';
import {
  type DispositionEvent,
  type GroupRecord,
  type ImdnRoute,
  routeDisposition,
} from '../domain/index.js';
import type { ClientStore } from '../store/index.js';
import type { GroupSession } from './group-session.js';
import { imdnMessageHeaders } from './wire.js';

export interface ImdnSent {
  groupKey: string;
  /** The imdn.Message-ID of the message the notification is about. */
  aboutMessageId: string;
  event: DispositionEvent;
  channel: 'sip-message' | 'msrp';
  clauses: string[];
}

export interface ImdnSenderDeps {
  ua: UserAgent;
  store: ClientStore;
  self: string;
  /** The group's live active (sendrecv) session, if any. */
  activeSession(groupKey: string): GroupSession | undefined;
}

/**
 * Send the `event` notification for a logged message if it was requested and not yet sent. Resolves with what
 * was sent, or undefined when nothing had to go out. Rejects when the channel failed (the notification stays
 * unsent and may be retried).
 */
export async function sendDisposition(
  deps: ImdnSenderDeps,
  group: GroupRecord,
  messageId: string,
  event: DispositionEvent,
): Promise<ImdnSent | undefined> {
  const message = deps.store.messages.getReceived(group.key, messageId);
  if (!message) return undefined;
  const active = deps.activeSession(group.key);
  const route: ImdnRoute = routeDisposition({
    message,
    group,
    self: deps.self,
    event,
    ...(active !== undefined ? { activeSession: active.id } : {}),
  });
  if (route.channel === 'none') return undefined;
  if (route.channel === 'msrp') {
    // A2.i.2: the notification goes back on the same (active) group session.
    if (!active) throw new Error('active session gone');
    await active.msrp.send(route.body, { contentType: route.contentType });
  } else {
    // D1.ii: SIP MESSAGE, R-URI and To = the original sender, CPIM From = the user, the group's IDs.
    await deps.ua.message(route.requestUri, route.body, {
      contentType: route.contentType,
      to: `<${route.to}>`,
      headers: imdnMessageHeaders(route.headers),
    });
  }
  deps.store.messages.markNotified(group.key, messageId, event);
  return {
    groupKey: group.key,
    aboutMessageId: messageId,
    event,
    channel: route.channel,
    clauses: route.clauses,
  };
}
