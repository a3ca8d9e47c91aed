// Where the console's static files are: `lab/console/static/` under the package root, found by walking
// up from this module to package.json. tsc does not copy .html/.css/.js assets into dist/, so both the
// sources (vitest, tsx) and the compiled dist/lab/console/ read them from the source tree.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/index.js';

export const STATIC_SUBDIR = join('lab', 'console', 'static');

/** lab/console/static of the package this module belongs to; throws if it is missing. */
export function consoleStaticDir(root: string = packageRoot()): string {
  const dir = join(root, STATIC_SUBDIR);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(
      `the console's static files are missing: ${join(dir, 'index.html')} (an image must copy ${STATIC_SUBDIR})`,
    );
  }
  return dir;
}
