// The database under one or more client stores (schema in database.ts), and its group commit.
//
// A client run on its own (`cpm-lab client`, the library) has a database of its own, owner ''. An embedded lab
// puts all its clients in one database, each store a view on the rows of its owner (the user): a SQLite
// connection costs ~200 KB of native memory and three file descriptors (db, -wal, -shm), and creating a file
// ~1 ms, which for thousands of clients were most of the lab's memory, descriptors and start-up time.
//
// Group commit: the changes made during one turn of the event loop, by any store on the database, share one
// transaction, committed on the next `setImmediate` (a burst of N messages read from one MSRP read costs one
// commit, not N). A change is durable (WAL, synchronous=NORMAL: it survives the process being killed) once
// `committed()` resolves; a client answers a message's MSRP 200 only then (RFC 4975 §7.3). Reads in between
// see the change.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { openSqlite, type SqliteDatabase, StoreError } from '../../runtime/index.js';
import { CLIENT_MIGRATIONS } from './database.js';

/** The tables that hold a store's rows, and their columns besides the owner. */
const TABLES: ReadonlyArray<{ name: string; columns: string }> = [
  { name: 'settings', columns: 'name, value' },
  { name: 'groups', columns: 'key, position, record' },
  { name: 'received', columns: 'group_key, message_id, record' },
  { name: 'notifications', columns: 'group_key, message_id, record' },
  { name: 'sent', columns: 'group_key, message_id, record' },
];

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class ClientDatabase {
  /** The database file. */
  readonly path: string;
  readonly sqlite: SqliteDatabase;
  /** The open group-commit transaction: who waits for it to commit. */
  #batch: { waiters: Waiter[] } | undefined;
  readonly #commitErrorListeners = new Set<(error: Error) => void>();
  #closed = false;

  private constructor(path: string, sqlite: SqliteDatabase) {
    this.path = path;
    this.sqlite = sqlite;
  }

  /** Open (or create) the database. Throws StoreError('open-failed' | 'migration-failed' | ...). */
  static open(path: string): ClientDatabase {
    return new ClientDatabase(
      path,
      openSqlite({ path, migrations: CLIENT_MIGRATIONS, what: 'client store' }),
    );
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Before each change: the database is open, and the change joins this turn's transaction. */
  beforeWrite(): void {
    if (this.#closed) throw new StoreError('closed', `client database ${this.path} is closed`);
    // Inside an explicit transaction (an import) the change commits with it.
    if (this.#batch || this.sqlite.db.inTransaction) return;
    this.sqlite.db.exec('BEGIN IMMEDIATE');
    this.#batch = { waiters: [] };
    setImmediate(() => this.#commit());
  }

  /** Resolves once every change made so far is committed (rejects if that commit failed). */
  committed(): Promise<void> {
    const batch = this.#batch;
    if (!batch) return Promise.resolve();
    return new Promise((resolve, reject) => batch.waiters.push({ resolve, reject }));
  }

  /** Told when a group commit failed (its changes are rolled back), besides `committed()` rejecting. */
  onCommitError(listener: (error: Error) => void): () => void {
    this.#commitErrorListeners.add(listener);
    return () => this.#commitErrorListeners.delete(listener);
  }

  /** Whether any row belongs to `owner`. */
  hasOwner(owner: string): boolean {
    return TABLES.some((t) =>
      this.sqlite.prepare(`SELECT 1 AS hit FROM ${t.name} WHERE owner = :o LIMIT 1`).get({ o: owner }),
    );
  }

  /**
   * Take a database of one client's own (an embedded lab's per-client file of an earlier version) into this
   * one as `owner`'s rows, in one transaction, and rename the file `<file>.imported`. Only into an owner that
   * has no rows yet (StoreError('exists') otherwise): nothing is merged.
   */
  importOwnDatabase(file: string, owner: string): void {
    this.#assertOpen();
    if (this.hasOwner(owner)) throw new StoreError('exists', `the store of ${owner} already has rows`);
    // Brought to this schema first (the migrations run on open), then read through ATTACH.
    ClientDatabase.open(file).close();
    this.#commit();
    const db = this.sqlite.db;
    db.prepare('ATTACH DATABASE :file AS own').run({ file });
    try {
      this.sqlite.transaction(() => {
        for (const t of TABLES) {
          db.prepare(
            `INSERT INTO main.${t.name} (owner, ${t.columns}) SELECT :o, ${t.columns} FROM own.${t.name} WHERE owner = '' ORDER BY rowid`,
          ).run({ o: owner });
        }
      });
    } finally {
      db.exec('DETACH DATABASE own');
    }
    if (existsSync(file)) renameSync(file, `${file}.imported`);
    // Checkpointed and empty since the close above: the file's WAL and shared-memory index go with it.
    for (const side of ['-wal', '-shm']) rmSync(`${file}${side}`, { force: true });
  }

  /** Commit what is pending, then close the database; further changes throw StoreError('closed'). */
  close(): void {
    if (this.#closed) return;
    this.#commit();
    this.#closed = true;
    this.sqlite.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('closed', `client database ${this.path} is closed`);
  }

  #commit(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.sqlite.db.exec('COMMIT');
    } catch (err) {
      const error = new StoreError('io', `store ${this.path}: commit failed: ${(err as Error).message}`, {
        cause: err,
      });
      try {
        if (this.sqlite.db.inTransaction) this.sqlite.db.exec('ROLLBACK');
      } catch {
        // the rollback's own failure adds nothing to the error reported
      }
      for (const w of batch.waiters) w.reject(error);
      for (const listener of this.#commitErrorListeners) listener(error);
      return;
    }
    for (const w of batch.waiters) w.resolve();
  }
}
