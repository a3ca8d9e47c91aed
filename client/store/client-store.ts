// The per-user client store: groups, message log, outbox and invitation policy on the lab's embedded database
// (runtime/sqlite.ts, schema in database.ts). Each change is one small statement (an append, or an update
// found by index), so the cost of a message does not grow with the history.
//
// Group commit: the changes made during one turn of the event loop share one transaction, committed on the
// next `setImmediate` (a burst of N messages read from one MSRP read costs one commit, not N). A change is
// durable (WAL, synchronous=NORMAL: it survives the process being killed) once `committed()` resolves; the
// client answers a message's MSRP 200 only then (RFC 4975 §7.3). Reads in between see the change.
//
// A JSON store of an earlier version (`<user>.json`) is imported once into `<user>.db` and renamed
// `<user>.json.imported`.
import { access, readFile, rename } from 'node:fs/promises';
import {
  type GroupRecord,
  INITIAL_OUTBOX,
  type OutboxState,
  type PolicySettings,
  type ReceivedMessage,
  type ReceivedNotification,
  restoreOutbox,
  type SentMessage,
} from '../domain/index.js';
import { openSqlite, type SqliteDatabase, StoreError } from '../../runtime/index.js';
import { CLIENT_MIGRATIONS } from './database.js';
import { GroupStore } from './group-store.js';
import { MessageLog, type MessageLogOptions } from './message-log.js';

/** Freeze an outbox state and what it holds (parts shared with an earlier state are frozen already). */
function freezeOutbox(state: OutboxState): OutboxState {
  if (Object.isFrozen(state)) return state;
  for (const g of Object.values(state.groups)) {
    if (Object.isFrozen(g)) continue;
    for (const m of g.queue) Object.freeze(m);
    Object.freeze(g.queue);
    Object.freeze(g);
  }
  Object.freeze(state.groups);
  return Object.freeze(state);
}

/** The version of the JSON documents earlier versions wrote (imported once). */
export const CLIENT_STORE_VERSION = 1;

interface LegacyDoc {
  version: typeof CLIENT_STORE_VERSION;
  groups: GroupRecord[];
  received: ReceivedMessage[];
  notifications: ReceivedNotification[];
  sent: SentMessage[];
  outbox: OutboxState;
  policy: PolicySettings;
}

export interface ClientStoreOptions extends MessageLogOptions {
  /**
   * The database file, e.g. `<data-dir>/alice.db` (its directory is created). A path ending in `.json` names
   * the same store as `.db` (older callers), and such a JSON file, if present, is imported.
   */
  path: string;
  /** The policy of a new store (default: accept). */
  defaultPolicy?: PolicySettings;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const POLICIES = ['accept', 'decline', 'later'];

/** Structural check of a legacy JSON document; throws StoreError('corrupt'). */
function checkDoc(raw: unknown, path: string): LegacyDoc {
  const bad = (what: string): never => {
    throw new StoreError('corrupt', `${path}: ${what}`);
  };
  if (!isRecord(raw)) return bad('not an object');
  if (raw['version'] !== CLIENT_STORE_VERSION) return bad(`unsupported version ${String(raw['version'])}`);
  for (const k of ['groups', 'received', 'notifications', 'sent']) {
    if (!Array.isArray(raw[k])) bad(`${k} is not an array`);
  }
  for (const g of raw['groups'] as unknown[]) {
    if (!isRecord(g) || typeof g['key'] !== 'string' || typeof g['conferenceUri'] !== 'string')
      bad('bad group');
    if (!Array.isArray((g as Record<string, unknown>)['participants'])) bad('bad group participants');
  }
  for (const k of ['received', 'notifications', 'sent']) {
    for (const m of raw[k] as unknown[]) {
      if (!isRecord(m) || typeof m['groupKey'] !== 'string' || typeof m['messageId'] !== 'string')
        bad(`bad ${k} entry`);
    }
  }
  const outbox = raw['outbox'];
  if (!isRecord(outbox) || !isRecord(outbox['groups'])) return bad('bad outbox');
  const policy = raw['policy'];
  if (!isRecord(policy) || !POLICIES.includes(String(policy['default']))) return bad('bad policy');
  // Checked above field by field; the rest of each entry is as this module wrote it.
  return raw as unknown as LegacyDoc;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export class ClientStore {
  /** The database file. */
  readonly path: string;
  readonly groups: GroupStore;
  readonly messages: MessageLog;
  readonly #db: SqliteDatabase;
  #outbox: OutboxState;
  #policy: PolicySettings;
  #closed = false;
  /** The open group-commit transaction: who waits for it to commit. */
  #batch: { waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> } | undefined;
  /** Told when a group commit failed (its changes are rolled back), besides `committed()` rejecting. */
  onCommitError: ((error: Error) => void) | undefined;

  private constructor(path: string, db: SqliteDatabase, options: ClientStoreOptions) {
    this.path = path;
    this.#db = db;
    this.#policy = this.#setting('policy') ?? options.defaultPolicy ?? { default: 'accept' };
    // Sessions and registration do not survive a restart; queued messages do.
    this.#outbox = freezeOutbox(restoreOutbox(this.#setting('outbox') ?? INITIAL_OUTBOX));
    const rows = db.prepare('SELECT record FROM groups ORDER BY position').all() as Array<{ record: string }>;
    this.groups = new GroupStore(
      rows.map((r) => JSON.parse(r.record) as GroupRecord),
      (record, position) => {
        this.#beforeWrite();
        db.prepare(
          'INSERT INTO groups (key, position, record) VALUES (:k, :p, :r) ON CONFLICT (key) DO UPDATE SET position = :p, record = :r',
        ).run({ k: record.key, p: position, r: JSON.stringify(record) });
      },
    );
    this.messages = new MessageLog(db, () => this.#beforeWrite(), options);
  }

  /** Open (or create) the store. Throws StoreError('corrupt' | 'io' | 'open-failed' | ...). */
  static async open(options: ClientStoreOptions): Promise<ClientStore> {
    const legacy = options.path.endsWith('.json') ? options.path : undefined;
    const path = legacy ? `${legacy.slice(0, -'.json'.length)}.db` : options.path;
    let doc: LegacyDoc | undefined;
    if (legacy && !(await exists(path)) && (await exists(legacy))) {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(legacy, 'utf8')) as unknown;
      } catch (err) {
        throw new StoreError('corrupt', `${legacy} is not a client store: ${(err as Error).message}`, {
          cause: err,
        });
      }
      doc = checkDoc(raw, legacy);
    }
    const db = openSqlite({ path, migrations: CLIENT_MIGRATIONS, what: 'client store' });
    const store = new ClientStore(path, db, options);
    if (doc && legacy) {
      store.#import(doc);
      await rename(legacy, `${legacy}.imported`).catch(() => undefined);
    }
    return store;
  }

  /** The outbox state machine's state: an immutable value (frozen), replaced by setOutbox. */
  get outbox(): OutboxState {
    return this.#outbox;
  }

  /**
   * Save the outbox state machine's state (the queued messages must survive a restart). The state given is kept
   * as it is, frozen: states are values that transitions replace, never change. The same state again is no change.
   */
  setOutbox(state: OutboxState): void {
    if (state === this.#outbox) return;
    this.#beforeWrite();
    this.#saveSetting('outbox', state);
    this.#outbox = freezeOutbox(state);
  }

  get policy(): PolicySettings {
    return structuredClone(this.#policy);
  }

  setPolicy(policy: PolicySettings): void {
    this.#beforeWrite();
    this.#saveSetting('policy', policy);
    this.#policy = structuredClone(policy);
  }

  /** Resolves once every change made so far is committed (rejects if that commit failed). */
  committed(): Promise<void> {
    const batch = this.#batch;
    if (!batch) return Promise.resolve();
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  /** Commit what is pending, then close the database; further changes throw StoreError('closed'). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commit();
    this.#closed = true;
    this.#db.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('closed', `store ${this.path} is closed`);
  }

  /** Before each change: the store is open, and the change joins this turn's transaction. */
  #beforeWrite(): void {
    this.#assertOpen();
    // Inside an explicit transaction (the legacy import) the change commits with it.
    if (this.#batch || this.#db.db.inTransaction) return;
    this.#db.db.exec('BEGIN IMMEDIATE');
    this.#batch = { waiters: [] };
    setImmediate(() => this.#commit());
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#db.db.exec('COMMIT');
    } catch (err) {
      const error = new StoreError('io', `store ${this.path}: commit failed: ${(err as Error).message}`, {
        cause: err,
      });
      try {
        if (this.#db.db.inTransaction) this.#db.db.exec('ROLLBACK');
      } catch {
        // the rollback's own failure adds nothing to the error reported
      }
      for (const w of batch.waiters) w.reject(error);
      this.onCommitError?.(error);
      return;
    }
    for (const w of batch.waiters) w.resolve();
  }

  #setting<T>(name: string): T | undefined {
    const row = this.#db.prepare('SELECT value FROM settings WHERE name = :n').get({ n: name }) as
      | { value: string }
      | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #saveSetting(name: string, value: unknown): void {
    this.#db
      .prepare(
        'INSERT INTO settings (name, value) VALUES (:n, :v) ON CONFLICT (name) DO UPDATE SET value = :v',
      )
      .run({ n: name, v: JSON.stringify(value) });
  }

  /** One transaction: a legacy JSON document's groups, log, outbox and policy. */
  #import(doc: LegacyDoc): void {
    this.#db.transaction(() => {
      for (const g of doc.groups) this.groups.upsert(g);
      for (const m of doc.received) this.messages.recordReceived(m);
      for (const n of doc.notifications) this.messages.recordNotification(n);
      for (const s of doc.sent) {
        this.#db
          .prepare('INSERT INTO sent (group_key, message_id, record) VALUES (:g, :m, :r)')
          .run({ g: s.groupKey, m: s.messageId, r: JSON.stringify(s) });
      }
      this.setPolicy(doc.policy);
      this.setOutbox(restoreOutbox(doc.outbox));
    });
  }
}
