// Received messages and notifications per group, de-duplicated by imdn.Message-ID (architecture.md: the PF
// may re-deliver a stored message; the client keeps one copy), and the delivery/display status of the
// messages the user sent, updated by incoming IMDNs (RFC 5438).
import type { DispositionRequest } from '../../protocol/imdn/index.js';
import {
  type DispositionEvent,
  normalizeAor,
  type ReceivedMessage,
  type ReceivedNotification,
  type SentMessage,
} from '../domain/index.js';

export interface MessageLogData {
  received: ReceivedMessage[];
  notifications: ReceivedNotification[];
  sent: SentMessage[];
}

export interface RecordResult<T> {
  /** True when an entry with the same group and imdn.Message-ID was already logged (nothing changed). */
  duplicate: boolean;
  /** The logged entry (the earlier one for a duplicate). */
  entry: T;
}

export interface NotificationResult extends RecordResult<ReceivedNotification> {
  /** The sent message the notification reported on, with its updated status; undefined if unknown. */
  sent?: SentMessage;
}

export interface MessageLogOptions {
  /** Entries kept per group and kind (received / notifications / sent); the oldest go first. Default 10 000. */
  maxEntriesPerGroup?: number;
}

const DEFAULT_MAX_ENTRIES = 10_000;

function dedupKey(groupKey: string, messageId: string): string {
  return `${groupKey}\u0000${messageId}`;
}

/**
 * The message log over the store document's arrays. De-duplication is per group by imdn.Message-ID, compared
 * exactly (RFC 5438 §6.3 Message-IDs are opaque tokens). Reads return copies; `onChange` is called before
 * each change (it throws for a closed store, and then nothing changes).
 */
export class MessageLog {
  readonly #data: MessageLogData;
  readonly #onChange: () => void;
  readonly #max: number;
  readonly #receivedIds = new Set<string>();
  readonly #notificationIds = new Set<string>();

  constructor(data: MessageLogData, onChange: () => void, options: MessageLogOptions = {}) {
    this.#data = data;
    this.#onChange = onChange;
    this.#max = options.maxEntriesPerGroup ?? DEFAULT_MAX_ENTRIES;
    for (const m of data.received) this.#receivedIds.add(dedupKey(m.groupKey, m.messageId));
    for (const n of data.notifications) this.#notificationIds.add(dedupKey(n.groupKey, n.messageId));
  }

  /** Log a received chat message unless its imdn.Message-ID was already logged for the group. */
  recordReceived(message: ReceivedMessage): RecordResult<ReceivedMessage> {
    const key = dedupKey(message.groupKey, message.messageId);
    if (this.#receivedIds.has(key)) {
      const entry = this.#data.received.find(
        (m) => m.groupKey === message.groupKey && m.messageId === message.messageId,
      )!;
      return { duplicate: true, entry: structuredClone(entry) };
    }
    this.#onChange();
    const entry = structuredClone(message);
    this.#data.received.push(entry);
    this.#receivedIds.add(key);
    this.#trim(this.#data.received, message.groupKey, this.#receivedIds);
    return { duplicate: false, entry: structuredClone(entry) };
  }

  hasReceived(groupKey: string, messageId: string): boolean {
    return this.#receivedIds.has(dedupKey(groupKey, messageId));
  }

  getReceived(groupKey: string, messageId: string): ReceivedMessage | undefined {
    const m = this.#data.received.find((x) => x.groupKey === groupKey && x.messageId === messageId);
    return m ? structuredClone(m) : undefined;
  }

  /** Received messages, oldest first, of one group or all. */
  received(groupKey?: string): ReceivedMessage[] {
    return this.#data.received
      .filter((m) => groupKey === undefined || m.groupKey === groupKey)
      .map((m) => structuredClone(m));
  }

  /** Record that the notification for `event` was sent (routeDisposition then answers `already-sent`). */
  markNotified(groupKey: string, messageId: string, event: DispositionEvent): ReceivedMessage | undefined {
    const m = this.#data.received.find((x) => x.groupKey === groupKey && x.messageId === messageId);
    if (!m) return undefined;
    this.#onChange();
    if (event === 'delivered') m.notified.delivery = true;
    else m.notified.display = true;
    return structuredClone(m);
  }

  /** Log a message the user sent, with the dispositions it requested. */
  recordSent(init: {
    groupKey: string;
    messageId: string;
    text: string;
    sentAt: Date;
    requested: DispositionRequest[];
  }): SentMessage {
    const entry: SentMessage = {
      groupKey: init.groupKey,
      messageId: init.messageId,
      text: init.text,
      sentAt: init.sentAt.toISOString(),
      requested: [...init.requested],
      recipients: {},
    };
    this.#onChange();
    this.#data.sent.push(entry);
    this.#trim(this.#data.sent, init.groupKey);
    return structuredClone(entry);
  }

  sent(groupKey?: string): SentMessage[] {
    return this.#data.sent
      .filter((m) => groupKey === undefined || m.groupKey === groupKey)
      .map((m) => structuredClone(m));
  }

  getSent(messageId: string): SentMessage | undefined {
    const m = this.#data.sent.find((x) => x.messageId === messageId);
    return m ? structuredClone(m) : undefined;
  }

  /**
   * Log a received IMDN (de-duplicated by its own imdn.Message-ID) and apply it to the status of the sent
   * message it reports on, per recipient. A later `delivered` never undoes `displayed`; a duplicate changes
   * nothing.
   */
  recordNotification(n: ReceivedNotification): NotificationResult {
    const key = dedupKey(n.groupKey, n.messageId);
    if (this.#notificationIds.has(key)) {
      const entry = this.#data.notifications.find(
        (x) => x.groupKey === n.groupKey && x.messageId === n.messageId,
      )!;
      return { duplicate: true, entry: structuredClone(entry) };
    }
    this.#onChange();
    const entry = structuredClone(n);
    this.#data.notifications.push(entry);
    this.#notificationIds.add(key);
    this.#trim(this.#data.notifications, n.groupKey, this.#notificationIds);
    const sent = this.#data.sent.find((m) => m.messageId === n.aboutMessageId);
    if (sent) {
      const recipient = normalizeAor(n.from);
      const status = sent.recipients[recipient] ?? { updatedAt: n.receivedAt };
      if (n.notification.kind === 'delivery') status.delivery = n.notification.status;
      else if (n.notification.kind === 'display') status.display = n.notification.status;
      status.updatedAt = n.receivedAt;
      sent.recipients[recipient] = status;
    }
    const result: NotificationResult = { duplicate: false, entry: structuredClone(entry) };
    if (sent) result.sent = structuredClone(sent);
    return result;
  }

  notifications(groupKey?: string): ReceivedNotification[] {
    return this.#data.notifications
      .filter((n) => groupKey === undefined || n.groupKey === groupKey)
      .map((n) => structuredClone(n));
  }

  // Bound the log per group: drop the oldest entries of that group beyond the limit.
  #trim<T extends { groupKey: string; messageId: string }>(
    list: T[],
    groupKey: string,
    ids?: Set<string>,
  ): void {
    let count = 0;
    for (const e of list) if (e.groupKey === groupKey) count++;
    for (let i = 0; count > this.#max && i < list.length; ) {
      if (list[i]!.groupKey === groupKey) {
        ids?.delete(dedupKey(groupKey, list[i]!.messageId));
        list.splice(i, 1);
        count--;
      } else i++;
    }
  }
}
