// The PF's embedded database (architecture.md "PF": a real database on disk, so a PF restart loses nothing):
// the lab's SQLite engine (runtime/sqlite.ts, where the durability and driver notes are) with the PF's schema.
import {
  type DatabaseOptions as SqliteOptions,
  openSqlite,
  type SqliteDatabase,
} from '../../../runtime/index.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

export { blob, readPragma, runTransaction, type SynchronousMode } from '../../../runtime/index.js';

export type PfDatabase = SqliteDatabase;

export interface DatabaseOptions extends Omit<SqliteOptions, 'migrations' | 'what'> {
  /** Migrations to apply (tests only; default the PF's schema). */
  migrations?: SqliteOptions['migrations'];
}

/** Open (creating if needed) the PF's database at `options.path` and bring its schema up to date. */
export function openDatabase(options: DatabaseOptions): PfDatabase {
  return openSqlite({ ...options, migrations: options.migrations ?? MIGRATIONS, what: 'PF store' });
}

export { SCHEMA_VERSION };
