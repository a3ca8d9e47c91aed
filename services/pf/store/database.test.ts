import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, readPragma, runTransaction } from './database.js';
import { StoreError } from './errors.js';
import { MIGRATIONS, type Migration, SCHEMA_VERSION } from './migrations.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pf-db-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('PF store database (architecture.md: a real database on disk)', () => {
  it('creates the directory and the file, in WAL mode with the chosen synchronous level', () => {
    const path = join(tempDir(), 'nested', 'deeper', 'pf.db');
    const db = openDatabase({ path });
    expect(existsSync(path)).toBe(true);
    expect(readPragma(db.db, 'journal_mode', 'journal_mode')).toBe('wal');
    expect(readPragma(db.db, 'synchronous', 'synchronous')).toBe(1); // NORMAL
    expect(readPragma(db.db, 'foreign_keys', 'foreign_keys')).toBe(1);
    db.close();
    const full = openDatabase({ path, synchronous: 'FULL' });
    expect(readPragma(full.db, 'synchronous', 'synchronous')).toBe(2);
    expect(full.synchronous).toBe('FULL');
    full.close();
  });

  it('sets user_version to the schema version and migrates only once', () => {
    const path = join(tempDir(), 'pf.db');
    const db = openDatabase({ path });
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    expect(readPragma(db.db, 'user_version', 'user_version')).toBe(SCHEMA_VERSION);
    db.prepare(
      "INSERT INTO groups VALUES ('g', 'sip:group-g@ims.lab', 'c', 'k', '', 'sip:a@ims.lab', 1, 1, NULL, NULL, NULL)",
    ).run();
    db.close();
    const again = openDatabase({ path });
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    expect(again.prepare('SELECT COUNT(*) AS n FROM groups').get()).toMatchObject({ n: 1 });
    again.close();
  });

  it('applies a later migration to an existing database, keeping its data', () => {
    const path = join(tempDir(), 'pf.db');
    openDatabase({ path }).close();
    const v2: Migration = {
      version: SCHEMA_VERSION + 1,
      description: 'test column',
      sql: 'ALTER TABLE groups ADD COLUMN note TEXT',
    };
    const db = openDatabase({ path, migrations: [...MIGRATIONS, v2] });
    expect(db.schemaVersion).toBe(SCHEMA_VERSION + 1);
    const columns = db.prepare('PRAGMA table_info(groups)').all() as { name: string }[];
    expect(columns.map((c) => c.name)).toContain('note');
    db.close();
  });

  it('rolls a failed migration back and leaves user_version unchanged', () => {
    const path = join(tempDir(), 'pf.db');
    openDatabase({ path }).close();
    const broken: Migration = {
      version: SCHEMA_VERSION + 1,
      description: 'broken',
      sql: 'CREATE TABLE extra (x INTEGER); THIS IS NOT SQL',
    };
    expect(() => openDatabase({ path, migrations: [...MIGRATIONS, broken] })).toThrow(
      expect.objectContaining({ code: 'migration-failed' }),
    );
    const db = openDatabase({ path });
    expect(db.schemaVersion).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeUndefined();
    db.close();
  });

  it('refuses a database written by a newer schema', () => {
    const path = join(tempDir(), 'pf.db');
    const db = openDatabase({ path });
    db.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    let error: unknown;
    try {
      openDatabase({ path });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('schema-too-new');
  });

  it('transactions commit, roll back on throw, and nest as savepoints', () => {
    const db = openDatabase({ path: ':memory:' });
    db.db.exec('CREATE TABLE t (x INTEGER)');
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    db.transaction(() => db.prepare('INSERT INTO t VALUES (1)').run());
    expect(count()).toBe(1);
    expect(() =>
      db.transaction(() => {
        db.prepare('INSERT INTO t VALUES (2)').run();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(count()).toBe(1);
    db.transaction(() => {
      db.prepare('INSERT INTO t VALUES (3)').run();
      expect(() =>
        runTransaction(db.db, () => {
          db.prepare('INSERT INTO t VALUES (4)').run();
          throw new Error('inner');
        }),
      ).toThrow('inner');
    });
    expect((db.prepare('SELECT x FROM t ORDER BY x').all() as { x: number }[]).map((r) => r.x)).toEqual([
      1, 3,
    ]);
    db.close();
  });

  it('close is idempotent and a closed database refuses work', () => {
    const db = openDatabase({ path: ':memory:' });
    db.close();
    db.close();
    expect(db.isOpen).toBe(false);
    expect(() => db.transaction(() => 1)).toThrow(expect.objectContaining({ code: 'closed' }));
  });

  it('reports an unusable path as open-failed', () => {
    const file = join(tempDir(), 'file');
    openDatabase({ path: file }).close();
    expect(() => openDatabase({ path: join(file, 'sub', 'pf.db') })).toThrow(
      expect.objectContaining({ code: 'open-failed' }),
    );
  });
});
