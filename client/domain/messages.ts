// Entries of the client's message log (architecture.md "Client"): received chat messages, received
// notifications, and the delivery/display status of messages the user sent.
import {
  type CpimMessage,
  cpimContentType,
  cpimDateTime,
  cpimFrom,
  cpimTo,
} from '../../protocol/cpim/index.js';
import {
  type DeliveryStatus,
  type DispositionRequest,
  type DisplayStatus,
  dispositionRequests,
  type ImdnDocument,
  type ImdnNotification,
  imdnMessageId,
  imdnRecordRoute,
} from '../../protocol/imdn/index.js';

/** The kind of session a message arrived on: deferred (sendonly, D1.i) or active (sendrecv, A2.i). */
export type ArrivalSession = 'deferred' | 'active';

export interface ReceivedMessage {
  groupKey: string;
  /** imdn.Message-ID: the de-duplication and correlation key (RFC 5438 §6.3). */
  messageId: string;
  /** CPIM From: the original sender (protocol-notes §4). */
  from: string;
  fromName?: string;
  /** CPIM To (the conference URI for group messages). */
  to?: string;
  /** CPIM DateTime, RFC 3339. */
  dateTime?: string;
  contentType: string;
  /** The content as UTF-8 text for text/* types. */
  text?: string;
  /** The content in base64 for other types. */
  contentBase64?: string;
  /** imdn.Disposition-Notification (RFC 5438 §6.2). */
  requested: DispositionRequest[];
  /** RFC 5438 §4: imdn.IMDN-Record-Route URIs, in order; absent when the message had none. */
  imdnRecordRoute?: string[];
  arrivedOn: ArrivalSession;
  receivedAt: string;
  /** Notifications already sent for this message (each is sent once). */
  notified: { delivery?: boolean; display?: boolean };
}

export interface ReceivedNotification {
  groupKey: string;
  /** The notification's own imdn.Message-ID (de-duplicated like messages). */
  messageId: string;
  /** CPIM From: the recipient who reports. */
  from: string;
  /** The imdn.Message-ID of the message it reports on. */
  aboutMessageId: string;
  notification: ImdnNotification;
  receivedAt: string;
}

export interface RecipientStatus {
  delivery?: DeliveryStatus;
  display?: DisplayStatus;
  updatedAt: string;
}

export interface SentMessage {
  groupKey: string;
  messageId: string;
  text: string;
  sentAt: string;
  requested: DispositionRequest[];
  /** Per recipient AoR, updated by incoming IMDNs. */
  recipients: Record<string, RecipientStatus>;
}

/**
 * A received chat message from its CPIM wrapper; undefined when it has no imdn.Message-ID or no From (nothing
 * to de-duplicate on or to notify). Throws nothing: CPIM address errors yield undefined.
 */
export function receivedFromCpim(
  cpim: CpimMessage,
  where: { groupKey: string; arrivedOn: ArrivalSession; receivedAt: Date },
): ReceivedMessage | undefined {
  const messageId = imdnMessageId(cpim)?.trim();
  if (!messageId) return undefined;
  let from: ReturnType<typeof cpimFrom>;
  let to: ReturnType<typeof cpimTo>;
  try {
    from = cpimFrom(cpim);
    to = cpimTo(cpim);
  } catch {
    return undefined;
  }
  if (!from) return undefined;
  const contentType = cpimContentType(cpim)?.trim() ?? 'text/plain';
  const entry: ReceivedMessage = {
    groupKey: where.groupKey,
    messageId,
    from: from.uri,
    contentType,
    requested: dispositionRequests(cpim),
    arrivedOn: where.arrivedOn,
    receivedAt: where.receivedAt.toISOString(),
    notified: {},
  };
  if (from.displayName !== undefined) entry.fromName = from.displayName;
  if (to[0] !== undefined) entry.to = to[0].uri;
  const route = imdnRecordRoute(cpim);
  if (route.length > 0) entry.imdnRecordRoute = route;
  const dt = cpimDateTime(cpim);
  if (dt !== undefined) entry.dateTime = dt.toISOString();
  if (/^text\//i.test(contentType)) entry.text = cpim.content.toString('utf8');
  else entry.contentBase64 = cpim.content.toString('base64');
  return entry;
}

/** A received notification from its CPIM wrapper and parsed IMDN document. */
export function notificationFromCpim(
  cpim: CpimMessage,
  doc: ImdnDocument,
  where: { groupKey: string; receivedAt: Date },
): ReceivedNotification | undefined {
  const messageId = imdnMessageId(cpim)?.trim();
  let from: ReturnType<typeof cpimFrom>;
  try {
    from = cpimFrom(cpim);
  } catch {
    return undefined;
  }
  if (!messageId || !from) return undefined;
  return {
    groupKey: where.groupKey,
    messageId,
    from: doc.recipientUri ?? from.uri,
    aboutMessageId: doc.messageId,
    notification: doc.notification,
    receivedAt: where.receivedAt.toISOString(),
  };
}
