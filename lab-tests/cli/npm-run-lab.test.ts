// `npm run lab` as a user runs it: killing the npm process (SIGTERM, as a terminal, a CI runner or a process
// manager does) stops the lab node process too, and its ports are free again (the script execs node, so the
// signal npm forwards reaches it).
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listening } from '../../test-support/net.js';
import { alive, until } from '../../test-support/processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run lab (process tree)', () => {
  it('SIGTERM to the npm process stops the lab node process and frees its ports', async () => {
    const npm = spawn('npm', ['run', 'lab', '--', '--ephemeral'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CPM_LAB_LOG: 'warn' },
    });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    try {
      await until('the lab banner', () => /lab API\s+http:\/\/127\.0\.0\.1:(\d+)/.test(out), 60_000);
      const port = Number(/lab API\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
      expect(await listening(port)).toBe(true);
      // The process tree: npm's child is node itself (the script execs it), not a shell in between.
      const children = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(npm.pid)], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      const node = children.find(([, comm]) => comm === 'node');
      expect(node, `children of npm: ${JSON.stringify(children)}`).toBeDefined();
      const nodePid = Number(node![0]);

      npm.kill('SIGTERM');
      await exited;
      await until('the lab node process to exit', () => !alive(nodePid));
      await until('the lab API port to be free', async () => !(await listening(port)));
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 90_000);
});
