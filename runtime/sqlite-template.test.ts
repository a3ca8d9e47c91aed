import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Migration, openSqlite, readPragma } from './sqlite.js';
import { templatePath } from './sqlite-template.js';

const V1: Migration[] = [
  { version: 1, description: 't', sql: 'CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT) STRICT;' },
];
const V2: Migration[] = [
  ...V1,
  { version: 2, description: 'u', sql: 'CREATE TABLE u (k TEXT PRIMARY KEY) STRICT;' },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cpm-sqlite-template-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tables(path: string, migrations: Migration[]): string[] {
  const db = openSqlite({ path, migrations });
  try {
    return (
      db.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('new databases from a schema template', () => {
  it('the first database in a directory is made as usual; from the second on, a copy of the template: same schema, WAL, empty, independent', () => {
    const a = openSqlite({ path: join(dir, 'a.db'), migrations: V1 });
    a.db.prepare("INSERT INTO t VALUES ('x', 'only in a')").run();
    a.close();
    expect(existsSync(templatePath(dir, V1))).toBe(false);

    const b = openSqlite({ path: join(dir, 'b.db'), migrations: V1 });
    expect(existsSync(templatePath(dir, V1))).toBe(true);
    expect(b.schemaVersion).toBe(1);
    expect(String(readPragma(b.db, 'journal_mode', 'journal_mode')).toLowerCase()).toBe('wal');
    expect(b.db.prepare('SELECT count(*) AS n FROM t').get()).toMatchObject({ n: 0 });
    b.db.prepare("INSERT INTO t VALUES ('y', 'only in b')").run();
    b.close();

    const c = openSqlite({ path: join(dir, 'c.db'), migrations: V1 });
    expect(c.db.prepare('SELECT count(*) AS n FROM t').get()).toMatchObject({ n: 0 });
    c.close();
    // No temporary or sidecar files of the template are left behind.
    expect(readdirSync(dir).filter((f) => f.includes('template'))).toEqual([basename(templatePath(dir, V1))]);
  });

  it('a changed schema never starts from an older template; an existing database is opened, never replaced', () => {
    for (const name of ['a.db', 'b.db']) openSqlite({ path: join(dir, name), migrations: V1 }).close();
    expect(templatePath(dir, V2)).not.toBe(templatePath(dir, V1));
    // The first and the second (template) database of the new schema both have its tables.
    expect(tables(join(dir, 'w2.db'), V2)).toEqual(['t', 'u']);
    expect(tables(join(dir, 'v2.db'), V2)).toEqual(['t', 'u']);
    expect(existsSync(templatePath(dir, V2))).toBe(true);
    const again = openSqlite({ path: join(dir, 'v2.db'), migrations: V2 });
    again.db.prepare("INSERT INTO u VALUES ('kept')").run();
    again.close();
    const reopened = openSqlite({ path: join(dir, 'v2.db'), migrations: V2 });
    expect(reopened.db.prepare('SELECT count(*) AS n FROM u').get()).toMatchObject({ n: 1 });
    reopened.close();
  });
});
