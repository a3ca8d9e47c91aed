// The per-user client store: groups, message log, outbox and invitation policy in one JSON document on disk
// (atomic replace, batched writes; see json-file.ts). A per-user store is small and written by one process,
// so a JSON file beats an embedded database here: no native module, human-readable, trivially inspectable.
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
import { GroupStore } from './group-store.js';
import { BatchedJsonWriter, readJsonFile, StoreError } from './json-file.js';
import { MessageLog, type MessageLogOptions } from './message-log.js';

export const CLIENT_STORE_VERSION = 1;

interface ClientStoreDoc {
  version: typeof CLIENT_STORE_VERSION;
  groups: GroupRecord[];
  received: ReceivedMessage[];
  notifications: ReceivedNotification[];
  sent: SentMessage[];
  outbox: OutboxState;
  policy: PolicySettings;
}

export interface ClientStoreOptions extends MessageLogOptions {
  /** The JSON file, e.g. `<data-dir>/alice.json`; its directory is created on first write. */
  path: string;
  /** The policy of a new store (default: accept). */
  defaultPolicy?: PolicySettings;
  /** Called when a background write fails (flush() rejects with the same error). */
  onError?: (err: StoreError) => void;
}

function emptyDoc(policy: PolicySettings): ClientStoreDoc {
  return {
    version: CLIENT_STORE_VERSION,
    groups: [],
    received: [],
    notifications: [],
    sent: [],
    outbox: INITIAL_OUTBOX,
    policy,
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const POLICIES = ['accept', 'decline', 'later'];

/** Structural check of a loaded document; throws StoreError('corrupt'). */
function checkDoc(raw: unknown, path: string): ClientStoreDoc {
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
  return raw as unknown as ClientStoreDoc;
}

export class ClientStore {
  readonly path: string;
  readonly groups: GroupStore;
  readonly messages: MessageLog;
  readonly #doc: ClientStoreDoc;
  readonly #writer: BatchedJsonWriter;
  #closed = false;

  private constructor(path: string, doc: ClientStoreDoc, options: ClientStoreOptions) {
    this.path = path;
    this.#doc = doc;
    this.#writer = new BatchedJsonWriter(path, () => this.#doc, options.onError);
    const changed = () => this.#changed();
    this.groups = new GroupStore(doc.groups, changed);
    this.messages = new MessageLog(doc, changed, options);
  }

  /** Open (or create) the store at `options.path`. Throws StoreError('corrupt' | 'io'). */
  static async open(options: ClientStoreOptions): Promise<ClientStore> {
    const raw = await readJsonFile(options.path);
    const doc =
      raw === undefined
        ? emptyDoc(options.defaultPolicy ?? { default: 'accept' })
        : checkDoc(raw, options.path);
    // Sessions and registration do not survive a restart; queued messages do.
    doc.outbox = restoreOutbox(doc.outbox);
    return new ClientStore(options.path, doc, options);
  }

  get outbox(): OutboxState {
    return structuredClone(this.#doc.outbox);
  }

  /** Save the outbox state machine's state (the queued messages must survive a restart). */
  setOutbox(state: OutboxState): void {
    this.#changed();
    this.#doc.outbox = structuredClone(state);
  }

  get policy(): PolicySettings {
    return structuredClone(this.#doc.policy);
  }

  setPolicy(policy: PolicySettings): void {
    this.#changed();
    this.#doc.policy = structuredClone(policy);
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Flush and refuse further changes (they throw StoreError('closed') and change nothing). */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  #changed(): void {
    if (this.#closed) throw new StoreError('closed', `store ${this.path} is closed`);
    this.#writer.markDirty();
  }
}
