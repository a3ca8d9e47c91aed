import { describe, expect, it } from 'vitest';
import { openSqlite, runTransaction, type SqliteDatabase, tryAllOrNothing } from './sqlite.js';

const SCHEMA = [
  {
    version: 1,
    description: 'rows, and notes whose row is checked only at COMMIT',
    sql: `CREATE TABLE rows (v INTEGER NOT NULL UNIQUE) STRICT;
CREATE TABLE notes (row INTEGER NOT NULL REFERENCES rows (v) DEFERRABLE INITIALLY DEFERRED) STRICT;`,
  },
];

function open(): SqliteDatabase {
  return openSqlite({ path: ':memory:', migrations: SCHEMA });
}

function values(db: SqliteDatabase): number[] {
  return (db.prepare('SELECT v FROM rows ORDER BY v').all() as { v: number }[]).map((r) => r.v);
}

const insert = (db: SqliteDatabase, v: number) => db.prepare('INSERT INTO rows (v) VALUES (?)').run([v]);

/** Counts the SAVEPOINT statements run on `db` from now on. */
function countSavepoints(db: SqliteDatabase): { readonly n: number } {
  const counter = { n: 0 };
  const exec = db.db.exec.bind(db.db);
  db.db.exec = (sql: string) => {
    if (sql.startsWith('SAVEPOINT')) counter.n++;
    return exec(sql);
  };
  return counter;
}

describe('tryAllOrNothing (one transaction, nested transactions without savepoints)', () => {
  it('commits what fn wrote and returns its value; nested transactions make no savepoint', () => {
    const db = open();
    const savepoints = countSavepoints(db);
    const result = tryAllOrNothing(db.db, () => {
      runTransaction(db.db, () => insert(db, 1));
      db.transaction(() => insert(db, 2));
      return 'done';
    });
    expect(result).toEqual({ value: 'done' });
    expect(values(db)).toEqual([1, 2]);
    expect(savepoints.n).toBe(0);
    expect(db.db.inTransaction).toBe(false);
  });

  it('rolls everything back and returns undefined when fn throws', () => {
    const db = open();
    const result = tryAllOrNothing(db.db, () => {
      insert(db, 1);
      throw new Error('no');
    });
    expect(result).toBeUndefined();
    expect(values(db)).toEqual([]);
    expect(db.db.inTransaction).toBe(false);
  });

  it('a nested transaction that fails after writing voids the whole transaction, even when fn catches it', () => {
    const db = open();
    const result = tryAllOrNothing(db.db, () => {
      insert(db, 1);
      try {
        db.transaction(() => {
          insert(db, 2);
          insert(db, 1); // UNIQUE: throws, with 2 written before it and no savepoint to undo it
        });
      } catch {
        // swallowed: the caller goes on as if the nested transaction had been undone
      }
      insert(db, 3);
      return 'went on';
    });
    expect(result).toBeUndefined();
    expect(values(db)).toEqual([]);
    // Outside the scope, nested transactions are savepoints again: the same work leaves 1 and 3, not 2.
    runTransaction(db.db, () => {
      insert(db, 1);
      try {
        db.transaction(() => {
          insert(db, 2);
          insert(db, 1);
        });
      } catch {
        // undone alone by its savepoint
      }
      insert(db, 3);
    });
    expect(values(db)).toEqual([1, 3]);
  });

  it('inside an open transaction it runs nothing and returns undefined (the caller nests the careful way)', () => {
    const db = open();
    let ran = false;
    runTransaction(db.db, () => {
      expect(
        tryAllOrNothing(db.db, () => {
          ran = true;
        }),
      ).toBeUndefined();
    });
    expect(ran).toBe(false);
  });

  it('a COMMIT that fails throws, with the transaction rolled back', () => {
    const db = open();
    expect(() =>
      tryAllOrNothing(db.db, () => {
        insert(db, 1);
        db.prepare('INSERT INTO notes (row) VALUES (?)').run([99]); // checked at COMMIT: no row 99
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(db.db.inTransaction).toBe(false);
    expect(values(db)).toEqual([]);
  });
});
