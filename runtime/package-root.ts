// The directory of this package (the one holding its package.json): where files that tsc does not copy
// into dist/ live (the console's static files, interop/ configurations), for the sources and dist/ alike.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above `from` holding a package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json at or above ${from}`);
    dir = parent;
  }
}

/** This package's version (its package.json), `unknown` if it cannot be read. */
export function packageVersion(root: string = packageRoot()): string {
  try {
    return (
      (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ??
      'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/**
 * The commit this lab was built from: CPM_LAB_COMMIT (set by an image build), else `git rev-parse HEAD` in a
 * checkout, else undefined (an installed package without either).
 */
export function packageCommit(
  root: string = packageRoot(),
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const given = env['CPM_LAB_COMMIT']?.trim();
  if (given) return given;
  if (!existsSync(join(root, '.git'))) return undefined;
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}
