// Received messages and notifications per group, de-duplicated by imdn.Message-ID (the PF may re-deliver a
// stored message; the client keeps one copy), and the delivery/display status of the messages the user sent,
// updated by incoming IMDNs (RFC 5438). Kept in the client's database (client/store/database.ts).
import type { DispositionRequest } from '../../protocol/imdn/index.js';
import type { SqliteDatabase } from '../../runtime/index.js';
import {
  type DispositionEvent,
  normalizeAor,
  type ReceivedMessage,
  type ReceivedNotification,
  type SentMessage,
} from '../domain/index.js';

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

/** Entries of each kind kept per group unless configured (`--max-log-entries`). */
export const DEFAULT_MAX_LOG_ENTRIES = 10_000;

export type LogKind = 'received' | 'notifications' | 'sent';

/**
 * The message log on the client's database. De-duplication is per group by imdn.Message-ID, compared exactly
 * (RFC 5438 §6.3 Message-IDs are opaque tokens), through the tables' unique index. Every call is one or two
 * indexed statements: the cost of a message does not grow with the log. `beforeChange` is called before each
 * change (it throws for a closed store, and then nothing changes). The log keeps at most
 * `maxEntriesPerGroup` entries of each kind per group; `trimmed` counts what the cap removed (reported in the
 * client's state, never silent).
 */
export class MessageLog {
  readonly #db: SqliteDatabase;
  /** Whose rows these are (client-database.ts): every statement is scoped to them. */
  readonly #owner: string;
  readonly #beforeChange: () => void;
  readonly #max: number;
  /** Entries per (table, group), for the cap without a COUNT per insert. */
  readonly #counts = new Map<string, number>();
  #trimmed = 0;

  constructor(db: SqliteDatabase, owner: string, beforeChange: () => void, options: MessageLogOptions = {}) {
    this.#db = db;
    this.#owner = owner;
    this.#beforeChange = beforeChange;
    this.#max = options.maxEntriesPerGroup ?? DEFAULT_MAX_LOG_ENTRIES;
    for (const table of ['received', 'notifications', 'sent'] as const) {
      const rows = db
        .prepare(`SELECT group_key, count(*) AS n FROM ${table} WHERE owner = :o GROUP BY group_key`)
        .all({ o: owner }) as Array<{
        group_key: string;
        n: number;
      }>;
      for (const r of rows) this.#counts.set(`${table}\u0000${r.group_key}`, Number(r.n));
    }
  }

  /** The cap on entries per group and kind, and how many entries it has removed since the store opened. */
  get limits(): { maxEntriesPerGroup: number; trimmed: number } {
    return { maxEntriesPerGroup: this.#max, trimmed: this.#trimmed };
  }

  /** How many entries of a kind the log holds (all groups), without reading them. */
  count(kind: LogKind): number {
    let n = 0;
    for (const [key, value] of this.#counts) if (key.startsWith(`${kind}\u0000`)) n += value;
    return n;
  }

  /** Log a received chat message unless its imdn.Message-ID was already logged for the group. */
  recordReceived(message: ReceivedMessage): RecordResult<ReceivedMessage> {
    this.#beforeChange();
    // One statement for a new message; the earlier entry is read only for a duplicate.
    if (this.#insert('received', message.groupKey, message.messageId, message)) {
      return { duplicate: false, entry: message };
    }
    return { duplicate: true, entry: this.getReceived(message.groupKey, message.messageId)! };
  }

  hasReceived(groupKey: string, messageId: string): boolean {
    return (
      this.#db
        .prepare('SELECT 1 AS hit FROM received WHERE owner = :o AND group_key = :g AND message_id = :m')
        .get({ o: this.#owner, g: groupKey, m: messageId }) !== undefined
    );
  }

  getReceived(groupKey: string, messageId: string): ReceivedMessage | undefined {
    return this.#one<ReceivedMessage>('received', groupKey, messageId);
  }

  /** Received messages, oldest first, of one group or all. */
  received(groupKey?: string): ReceivedMessage[] {
    return this.#all<ReceivedMessage>('received', groupKey);
  }

  /** Record that the notification for `event` was sent (routeDisposition then answers `already-sent`). */
  markNotified(groupKey: string, messageId: string, event: DispositionEvent): ReceivedMessage | undefined {
    this.#beforeChange();
    // In place, in one statement: the other event's flag, set meanwhile by another notification, stays.
    const row = this.#db
      .prepare(
        "UPDATE received SET record = json_set(record, :path, json('true')) WHERE owner = :o AND group_key = :g AND message_id = :m RETURNING record",
      )
      .get({
        o: this.#owner,
        path: event === 'delivered' ? '$.notified.delivery' : '$.notified.display',
        g: groupKey,
        m: messageId,
      }) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ReceivedMessage) : undefined;
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
    this.#beforeChange();
    this.#insert('sent', init.groupKey, init.messageId, entry);
    return entry;
  }

  sent(groupKey?: string): SentMessage[] {
    return this.#all<SentMessage>('sent', groupKey);
  }

  getSent(messageId: string): SentMessage | undefined {
    return this.#firstSent(messageId)?.entry;
  }

  #firstSent(messageId: string): { seq: number; entry: SentMessage } | undefined {
    const row = this.#db
      .prepare('SELECT seq, record FROM sent WHERE owner = :o AND message_id = :m ORDER BY seq LIMIT 1')
      .get({ o: this.#owner, m: messageId }) as { seq: number; record: string } | undefined;
    return row ? { seq: row.seq, entry: JSON.parse(row.record) as SentMessage } : undefined;
  }

  /**
   * Log a received IMDN (de-duplicated by its own imdn.Message-ID) and apply it to the status of the sent
   * message it reports on, per recipient. A later `delivered` never undoes `displayed`; a duplicate changes
   * nothing.
   */
  recordNotification(n: ReceivedNotification): NotificationResult {
    this.#beforeChange();
    return this.#db.transaction(() => {
      if (!this.#insert('notifications', n.groupKey, n.messageId, n)) {
        return {
          duplicate: true,
          entry: this.#one<ReceivedNotification>('notifications', n.groupKey, n.messageId)!,
        };
      }
      const found = this.#firstSent(n.aboutMessageId);
      if (found) {
        const sent = found.entry;
        const recipient = normalizeAor(n.from);
        const status = sent.recipients[recipient] ?? { updatedAt: n.receivedAt };
        if (n.notification.kind === 'delivery') status.delivery = n.notification.status;
        else if (n.notification.kind === 'display') status.display = n.notification.status;
        status.updatedAt = n.receivedAt;
        sent.recipients[recipient] = status;
        this.#db
          .prepare('UPDATE sent SET record = :r WHERE seq = :seq')
          .run({ r: JSON.stringify(sent), seq: found.seq });
      }
      const result: NotificationResult = { duplicate: false, entry: n };
      if (found) result.sent = found.entry;
      return result;
    });
  }

  notifications(groupKey?: string): ReceivedNotification[] {
    return this.#all<ReceivedNotification>('notifications', groupKey);
  }

  #one<T>(table: LogKind, groupKey: string, messageId: string): T | undefined {
    const row = this.#db
      .prepare(`SELECT record FROM ${table} WHERE owner = :o AND group_key = :g AND message_id = :m`)
      .get({ o: this.#owner, g: groupKey, m: messageId }) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as T) : undefined;
  }

  #all<T>(table: LogKind, groupKey: string | undefined): T[] {
    const rows = (
      groupKey === undefined
        ? this.#db
            .prepare(`SELECT record FROM ${table} WHERE owner = :o ORDER BY seq`)
            .all({ o: this.#owner })
        : this.#db
            .prepare(`SELECT record FROM ${table} WHERE owner = :o AND group_key = :g ORDER BY seq`)
            .all({ o: this.#owner, g: groupKey })
    ) as Array<{ record: string }>;
    return rows.map((r) => JSON.parse(r.record) as T);
  }

  /**
   * Append one entry unless the group already has one with its Message-ID (received, notifications: their
   * unique index); false when it had. Beyond the cap, the group's oldest entry of that kind goes (counted in
   * `trimmed`).
   */
  #insert(table: LogKind, groupKey: string, messageId: string, entry: object): boolean {
    const { changes } = this.#db
      .prepare(
        `INSERT INTO ${table} (owner, group_key, message_id, record) VALUES (:o, :g, :m, :r) ON CONFLICT DO NOTHING`,
      )
      .run({ o: this.#owner, g: groupKey, m: messageId, r: JSON.stringify(entry) });
    if (changes === 0) return false;
    const key = `${table}\u0000${groupKey}`;
    const count = (this.#counts.get(key) ?? 0) + 1;
    if (count > this.#max) {
      this.#db
        .prepare(
          `DELETE FROM ${table} WHERE seq = (SELECT min(seq) FROM ${table} WHERE owner = :o AND group_key = :g)`,
        )
        .run({ o: this.#owner, g: groupKey });
      this.#trimmed += 1;
      this.#counts.set(key, count - 1);
    } else {
      this.#counts.set(key, count);
    }
    return true;
  }
}
