// Fresh databases from a schema template. Creating a database file costs ~3 ms on the event-loop thread (the
// switch to WAL and the first commits write and sync a new file), and an embedded lab creates one per client:
// 10 s for a few thousand clients. So the second and later databases of one schema that this process creates
// in one directory start as a copy of a template of that schema (~0.6 ms): an ordinary database, made once by
// the normal path, checkpointed and closed, kept in the directory as `.schema-<hash>.template.db` (the hash
// covers every migration's version and SQL, so a changed schema never reuses an old template). Any failure
// falls back to creating the file the normal way.
import { createHash } from 'node:crypto';
import { constants, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What the template is built from (runtime/sqlite.ts Migration). */
export interface SchemaSource {
  readonly version: number;
  readonly sql: string;
}

/** Creations per (directory, schema) in this process; bounded (a lab uses a few directories). */
const creations = new Map<string, number>();
const MAX_TRACKED_DIRECTORIES = 256;

/** Hashes of the migration lists seen (a store's list is one constant array): computed once each. */
const hashes = new WeakMap<readonly SchemaSource[], string>();

/** Short stable hash of a schema: its migrations' versions and SQL. */
export function schemaHash(migrations: readonly SchemaSource[]): string {
  let hash = hashes.get(migrations);
  if (hash === undefined) {
    const h = createHash('sha256');
    for (const m of migrations) h.update(`${m.version}\u0000${m.sql}\u0000`);
    hash = h.digest('hex').slice(0, 16);
    hashes.set(migrations, hash);
  }
  return hash;
}

/** The template file for a schema in a directory. */
export function templatePath(directory: string, migrations: readonly SchemaSource[]): string {
  return join(directory, `.schema-${schemaHash(migrations)}.template.db`);
}

/**
 * Put a copy of the schema's template at `path` (which does not exist yet) when this is at least the second
 * database of that schema created in its directory; `build(at)` makes the template the normal way (a database
 * at `at`, migrated and closed). True when `path` now holds a copy; false: create it as usual.
 */
export function copyFromTemplate(
  path: string,
  migrations: readonly SchemaSource[],
  build: (at: string) => void,
): boolean {
  const template = templatePath(dirname(path), migrations);
  const count = (creations.get(template) ?? 0) + 1;
  if (creations.size >= MAX_TRACKED_DIRECTORIES && !creations.has(template)) creations.clear();
  creations.set(template, count);
  if (count < 2 && !existsSync(template)) return false;
  const building = `${template}.${process.pid}.tmp`;
  try {
    if (!existsSync(template)) {
      build(building);
      removeSidecars(building);
      renameSync(building, template); // atomic: a reader never sees half a template
    }
    copyFileSync(template, path, constants.COPYFILE_EXCL);
    return true;
  } catch {
    for (const f of [building, `${building}-wal`, `${building}-shm`]) rmSync(f, { force: true });
    return false;
  }
}

/** A closed, checkpointed database has no WAL or shared-memory file left that matters; remove any. */
function removeSidecars(path: string): void {
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
}
