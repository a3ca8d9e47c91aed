// The lab's embedded database (libsql, SQLite's API): the PF's store and the client's use it, so that a
// restart loses nothing and the cost of a write does not grow with what is stored.
//
// Durability: WAL journal + `synchronous=NORMAL` by default. In WAL mode a COMMIT appends the transaction to
// the -wal file with write(2) before it returns; with NORMAL the WAL is fsynced only at checkpoints. A
// committed transaction therefore survives the process being killed (SIGKILL, OOM, crash: the OS still holds
// the written pages) but may roll back on power loss or kernel crash. The lab's failure model is "PF process
// killed / restarted", which NORMAL covers (see the crash test in deferred-store.crash.test.ts); `'FULL'`
// fsyncs the WAL on every commit and also survives power loss, at the cost of one fsync per commit (the
// write batcher keeps that to one per batch).
//
// libsql driver notes (0.5.x, better-sqlite3 API): bind a Buffer by name or inside an array (`run([a, buf])`):
// a Buffer as the sole positional argument (`run(buf)`) aborts the process inside the driver; `all()` returns
// BLOBs as ArrayBuffer while `get()` returns Buffer (use `blob()` below); `get()` adds a `_metadata` field.
// `close()` leaves the connection (its file descriptors, its WAL lock) open until the garbage collector takes
// the statements prepared on it: libsql-js issues #228 and #230, fixed upstream by pull request #236, in no
// release up to 0.6.0-pre.41. The wrapper drops its statement cache on close, so they go at the next major GC.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'libsql';
import { copyFromTemplate } from './sqlite-template.js';
import { StoreError } from './store-error.js';

export type SynchronousMode = 'NORMAL' | 'FULL';

/** One schema step, keyed by SQLite's `PRAGMA user_version`; appended, never edited, once released. */
export interface Migration {
  /** The user_version the database has once this migration ran (1, 2, 3...). */
  readonly version: number;
  readonly description: string;
  /** One or more SQL statements (run with exec). */
  readonly sql: string;
}

export interface DatabaseOptions {
  /** File path (its directory is created) or `':memory:'` for tests. */
  path: string;
  /** See the durability note at the top of this file. Default `'NORMAL'`. */
  synchronous?: SynchronousMode;
  /** Busy timeout in ms when another connection holds the write lock (default 5000). */
  busyTimeoutMs?: number;
  /** The schema, as ordered migrations. */
  migrations: readonly Migration[];
  /** Whose database, for messages (`PF store`, `client store`). */
  what?: string;
}

/** An open store database. Statements are synchronous (libsql); see write-batcher.ts for the async path. */
export interface SqliteDatabase {
  readonly path: string;
  /** The driver handle, for the stores in this folder. */
  readonly db: Database.Database;
  readonly schemaVersion: number;
  readonly synchronous: SynchronousMode;
  /** A prepared statement, cached per SQL text (how to bind Buffers: the driver notes above). */
  prepare(sql: string): Database.Statement;
  /** Run `fn` in one IMMEDIATE transaction (nested calls become savepoints); rolls back if it throws. */
  transaction<T>(fn: () => T): T;
  /** `tryAllOrNothing` below, on this database. */
  tryAllOrNothing<T>(fn: () => T): { value: T } | undefined;
  readonly isOpen: boolean;
  /** Checkpoint the WAL and close. Idempotent. */
  close(): void;
}

/** Open (creating if needed) the database at `options.path` and bring its schema up to date. */
export function openSqlite(options: DatabaseOptions): SqliteDatabase {
  const memory = options.path === ':memory:';
  const path = memory ? options.path : resolve(options.path);
  // A new file in an existing directory: a copy of the schema's template when this process made one of these
  // there before (a new directory gets its first database the normal way, openFile creating the directory).
  if (!memory && !existsSync(path) && !existsSync(`${path}-wal`) && existsSync(dirname(path))) {
    copyFromTemplate(path, options.migrations, (at) => openFile({ ...options, path: at }).close());
  }
  return openFile({ ...options, path });
}

function openFile(options: DatabaseOptions): SqliteDatabase {
  const what = options.what ?? 'store';
  const memory = options.path === ':memory:';
  const path = options.path;
  const synchronous = options.synchronous ?? 'NORMAL';
  let db: Database.Database;
  try {
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (err) {
    throw new StoreError('open-failed', `cannot open ${what} database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    if (!memory) {
      const mode = readPragma(db, 'journal_mode = WAL', 'journal_mode');
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
    }
    db.exec(`PRAGMA synchronous = ${synchronous}`);
    db.exec('PRAGMA foreign_keys = ON');
    const version = migrate(db, options.migrations, what);
    return wrap(db, path, version, synchronous);
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw new StoreError(
      'open-failed',
      `cannot prepare ${what} database ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** The value of a pragma (libsql returns `{ <name>: value }` rows). */
export function readPragma(db: Database.Database, pragma: string, column: string): unknown {
  const row = db.prepare(`PRAGMA ${pragma}`).get() as Record<string, unknown> | undefined;
  return row?.[column];
}

/** Apply the migrations after the database's user_version, each in its own transaction. Returns the version. */
export function migrate(db: Database.Database, migrations: readonly Migration[], what = 'store'): number {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  let current = Number(readPragma(db, 'user_version', 'user_version') ?? 0);
  if (current > latest) {
    throw new StoreError(
      'schema-too-new',
      `${what} schema version ${current} is newer than this code understands (${latest})`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    try {
      runTransaction(db, () => {
        db.exec(m.sql);
        // PRAGMA takes no bound parameters; the version is a number from our own table.
        db.exec(`PRAGMA user_version = ${Math.trunc(m.version)}`);
      });
    } catch (err) {
      throw new StoreError(
        'migration-failed',
        `migration ${m.version} (${m.description}) failed: ${(err as Error).message}`,
        { cause: err },
      );
    }
    current = m.version;
  }
  return current;
}

function wrap(
  db: Database.Database,
  path: string,
  version: number,
  synchronous: SynchronousMode,
): SqliteDatabase {
  let open = true;
  const statements = new Map<string, Database.Statement>();
  return {
    path,
    db,
    schemaVersion: version,
    synchronous,
    get isOpen() {
      return open;
    },
    prepare(sql: string): Database.Statement {
      if (!open) throw new StoreError('closed', 'store database is closed');
      let stmt = statements.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql);
        statements.set(sql, stmt);
      }
      return stmt;
    },
    transaction<T>(fn: () => T): T {
      if (!open) throw new StoreError('closed', 'store database is closed');
      return runTransaction(db, fn);
    },
    tryAllOrNothing<T>(fn: () => T): { value: T } | undefined {
      if (!open) throw new StoreError('closed', 'store database is closed');
      return tryAllOrNothing(db, fn);
    },
    close() {
      if (!open) return;
      open = false;
      statements.clear();
      try {
        if (!db.memory) db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } finally {
        db.close();
      }
    },
  };
}

let savepointSeq = 0;

/**
 * BEGIN IMMEDIATE ... COMMIT around `fn` (ROLLBACK if it throws); inside an open transaction, a SAVEPOINT
 * instead (libsql's own `transaction()` does not nest).
 */
export function runTransaction<T>(db: Database.Database, fn: () => T): T {
  if (db.inTransaction) {
    const scope = allOrNothing.get(db);
    if (scope) {
      // Inside tryAllOrNothing: no savepoint. Whatever this scope wrote before a throw stays written, so the
      // whole transaction is void from here on, even if a caller catches the error.
      try {
        return fn();
      } catch (err) {
        scope.threw = true;
        throw err;
      }
    }
    const name = `sp_${++savepointSeq}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const result = fn();
      db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      db.exec(`ROLLBACK TO ${name}`);
      db.exec(`RELEASE ${name}`);
      throw err;
    }
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** The databases whose open transaction is a tryAllOrNothing's: nested transactions make no savepoint. */
const allOrNothing = new WeakMap<Database.Database, { threw: boolean }>();

/**
 * Run `fn` in one IMMEDIATE transaction in which nested `runTransaction` calls make no savepoint, and commit it
 * only if nothing inside threw. Undefined, with everything rolled back, when anything did, even an error that
 * `fn` caught: the writes a failing nested call made before it threw were not undone alone. The caller then
 * runs the work again the careful way (a savepoint per nested call). Why: each savepoint is a SAVEPOINT and
 * a RELEASE statement, parsed and run, which cost the PF's write batches about a third of their time per
 * stored message. Also undefined, at once, inside an open transaction. A failing COMMIT (disk full, I/O
 * error) throws, as in runTransaction.
 */
export function tryAllOrNothing<T>(db: Database.Database, fn: () => T): { value: T } | undefined {
  // Inside someone else's transaction it cannot roll back alone: the caller's careful way nests instead.
  if (db.inTransaction) return undefined;
  const scope = { threw: false };
  let value: T | undefined;
  db.exec('BEGIN IMMEDIATE');
  allOrNothing.set(db, scope);
  try {
    value = fn();
  } catch {
    scope.threw = true;
  } finally {
    allOrNothing.delete(db);
  }
  if (scope.threw) {
    if (db.inTransaction) db.exec('ROLLBACK');
    return undefined;
  }
  try {
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return { value: value as T };
}

/** A BLOB column value as a Buffer, whichever form the driver returned it in. */
export function blob(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new StoreError('invalid-item', `expected a BLOB, got ${typeof value}`);
}
