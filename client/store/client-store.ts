// The per-user client store: groups, message log, outbox and invitation policy on the lab's embedded database
// (runtime/sqlite.ts, schema in database.ts), as the rows of one owner in a ClientDatabase (client-database.ts:
// a database of the client's own, or one shared by the clients of an embedded lab, with its group commit).
// Each change is one small statement (an append, or an update found by index), so the cost of a message does not
// grow with the history.
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
import { StoreError } from '../../runtime/index.js';
import { ClientDatabase } from './client-database.js';
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

/** A store on a database that holds other clients' stores too (ClientStore.on). */
export interface SharedClientStoreOptions extends MessageLogOptions {
  /** Whose rows these are: the user's name, unique in the database. */
  owner: string;
  defaultPolicy?: PolicySettings;
}

/** A row of the groups table as read: the group record, JSON. */
interface RecordRow {
  record: string;
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
  /** Whose rows these are ('' in a database of this client's own). */
  readonly owner: string;
  readonly groups: GroupStore;
  readonly messages: MessageLog;
  readonly #database: ClientDatabase;
  /** Closed with the store: the database was opened for this store alone. */
  readonly #ownsDatabase: boolean;
  readonly #stopListening: () => void;
  #outbox: OutboxState;
  #policy: PolicySettings;
  #closed = false;
  /** Told when a group commit failed (its changes are rolled back), besides `committed()` rejecting. */
  onCommitError: ((error: Error) => void) | undefined;

  private constructor(
    database: ClientDatabase,
    owner: string,
    ownsDatabase: boolean,
    options: MessageLogOptions & { defaultPolicy?: PolicySettings },
  ) {
    this.path = database.path;
    this.owner = owner;
    this.#database = database;
    this.#ownsDatabase = ownsDatabase;
    this.#stopListening = database.onCommitError((error) => this.onCommitError?.(error));
    this.#policy = this.#setting('policy') ?? options.defaultPolicy ?? { default: 'accept' };
    // Sessions and registration do not survive a restart; queued messages do.
    this.#outbox = freezeOutbox(restoreOutbox(this.#setting('outbox') ?? INITIAL_OUTBOX));
    const db = database.sqlite;
    const rows = db
      .prepare('SELECT record FROM groups WHERE owner = :o ORDER BY position')
      .all({ o: owner }) as RecordRow[];
    this.groups = new GroupStore(
      rows.map((r) => JSON.parse(r.record) as GroupRecord),
      (record, position) => {
        this.#beforeWrite();
        db.prepare(
          'INSERT INTO groups (owner, key, position, record) VALUES (:o, :k, :p, :r) ON CONFLICT (owner, key) DO UPDATE SET position = :p, record = :r',
        ).run({ o: owner, k: record.key, p: position, r: JSON.stringify(record) });
      },
    );
    this.messages = new MessageLog(db, owner, () => this.#beforeWrite(), options);
  }

  /** Open (or create) the store in a database of its own. Throws StoreError('corrupt' | 'io' | 'open-failed' | ...). */
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
    const database = ClientDatabase.open(path);
    let store: ClientStore;
    try {
      store = new ClientStore(database, '', true, options);
    } catch (err) {
      database.close();
      throw err;
    }
    if (doc && legacy) {
      store.#import(doc);
      await rename(legacy, `${legacy}.imported`).catch(() => undefined);
    }
    return store;
  }

  /**
   * The store of `owner` on a database that holds other clients' stores too (an embedded lab's). Closing the
   * store does not close the database: its opener does, after the stores.
   */
  static on(database: ClientDatabase, options: SharedClientStoreOptions): ClientStore {
    if (database.closed) throw new StoreError('closed', `client database ${database.path} is closed`);
    return new ClientStore(database, options.owner, false, options);
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
    return this.#database.committed();
  }

  /**
   * Wait for what is pending to commit, then close the store (and its database, if it has one of its own);
   * further changes throw StoreError('closed').
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    if (this.#ownsDatabase) this.#database.close();
    else await this.#database.committed().catch(() => undefined); // reported through onCommitError
  }

  /** Before each change: the store is open, and the change joins this turn's transaction. */
  #beforeWrite(): void {
    if (this.#closed) throw new StoreError('closed', `store ${this.path} (${this.owner || 'own'}) is closed`);
    this.#database.beforeWrite();
  }

  #setting<T>(name: string): T | undefined {
    const row = this.#database.sqlite
      .prepare('SELECT value FROM settings WHERE owner = :o AND name = :n')
      .get({ o: this.owner, n: name }) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  #saveSetting(name: string, value: unknown): void {
    this.#database.sqlite
      .prepare(
        'INSERT INTO settings (owner, name, value) VALUES (:o, :n, :v) ON CONFLICT (owner, name) DO UPDATE SET value = :v',
      )
      .run({ o: this.owner, n: name, v: JSON.stringify(value) });
  }

  /** One transaction: a legacy JSON document's groups, log, outbox and policy. */
  #import(doc: LegacyDoc): void {
    const db = this.#database.sqlite;
    db.transaction(() => {
      for (const g of doc.groups) this.groups.upsert(g);
      for (const m of doc.received) this.messages.recordReceived(m);
      for (const n of doc.notifications) this.messages.recordNotification(n);
      for (const s of doc.sent) {
        db.prepare('INSERT INTO sent (owner, group_key, message_id, record) VALUES (:o, :g, :m, :r)').run({
          o: this.owner,
          g: s.groupKey,
          m: s.messageId,
          r: JSON.stringify(s),
        });
      }
      this.setPolicy(doc.policy);
      this.setOutbox(restoreOutbox(doc.outbox));
    });
  }
}
