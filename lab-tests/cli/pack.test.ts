// The package as a user gets it: `npm pack` of this checkout, installed into an empty directory, and the CLI
// run from there (`cpm-lab run deferred-inactive --embedded`). It packs the dist/ that `npm ci` built (no
// rebuild here: other tests run the CLI from dist/ at the same time).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm pack: the packed tarball installs and runs', () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))
      throw new Error('dist/ is missing: run `npm run build` (npm ci runs it)');
    dir = await mkdtemp(join(tmpdir(), 'cpm-lab-pack-'));
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(dir, info!.filename);
    files = info!.files.map((f) => f.path);
    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    await writeFile(join(app, 'package.json'), '{"name":"pack-test","private":true}\n');
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', tarball], {
      cwd: app,
      maxBuffer: 64 * 1024 * 1024,
    });
  }, 240_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships the compiled CLI and library, the console assets and the docs, and no tests or sources', () => {
    expect(files).toEqual(
      expect.arrayContaining(['bin/cpm-lab.js', 'dist/cli/main.js', 'dist/client/index.d.ts']),
    );
    expect(files).toEqual(
      expect.arrayContaining(['lab/console/static/index.html', 'interop/kamailio/kamailio.cfg']),
    );
    expect(files).toEqual(
      expect.arrayContaining(['docs/clauses.md', 'LICENSE', 'CHANGELOG.md', 'README.md']),
    );
    expect(files.filter((f) => /\.test\.|test-support|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('cpm-lab run deferred-inactive --embedded passes from the installed package', async () => {
    const app = join(dir, 'app');
    const { stdout } = await run(
      join(app, 'node_modules', '.bin', 'cpm-lab'),
      ['run', 'deferred-inactive', '--embedded', '--no-ladder'],
      { cwd: app, env: { ...process.env, CPM_LAB_LOG: 'error' }, maxBuffer: 16 * 1024 * 1024 },
    );
    expect(stdout).toMatch(/verdict: PASS — deferred-inactive/);
    // Nothing of the checkout leaks in: the package resolved its own files.
    expect(await readdir(join(app, 'node_modules', 'cpm-lab'))).not.toContain('lab-tests');
  }, 120_000);

  it('the library surface resolves through exports (client, lab API client, protocol stacks)', async () => {
    const app = join(dir, 'app');
    const script =
      "const c = await import('cpm-lab/client'); const l = await import('cpm-lab/lab'); const s = await import('cpm-lab/protocol/sip');" +
      'console.log(typeof c.CpmClient, typeof l.LabClient, typeof s.parseMessage)';
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: app });
    expect(stdout.trim()).toBe('function function function');
  });
});
