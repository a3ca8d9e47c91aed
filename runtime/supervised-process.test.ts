// The watchdog of a supervised daemon (runtime/supervised-process.ts): a lab that dies without stopping it
// (SIGKILL) leaves nothing running, even a daemon that ignores SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, groupAlive, until } from '../test-support/processes.js';

// The compiled module (dist/, built by `npm ci`): the child is plain Node.
const SUPERVISED = fileURLToPath(new URL('../dist/runtime/supervised-process.js', import.meta.url));

describe('supervised daemon', () => {
  it('its lab SIGKILLed, a daemon that ignores SIGTERM is killed (SIGKILL after the grace period)', async () => {
    // The "lab": a Node process that starts the daemon and prints its pid, then is SIGKILLed.
    const lab = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { spawnSupervised } from ${JSON.stringify(SUPERVISED)};
         const d = spawnSupervised('stubborn', 'sh', ['-c', "trap '' TERM; echo up >&2; while :; do sleep 1; done"], {
           onLine: (line) => { if (line === 'up') process.stdout.write('pid ' + d.pid + '\\n'); },
           onSpawnError: () => process.exit(3),
         });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    lab.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    while (!/pid \d+/.test(out)) await once(lab.stdout!, 'data');
    const watchdog = Number(/pid (\d+)/.exec(out)![1]);
    // The daemon is the watchdog shell's child; the whole group shares the watchdog's pid as group id.
    lab.kill('SIGKILL');
    await once(lab, 'exit');
    await until('the watchdog group to be gone', () => !groupAlive(watchdog), 15_000).catch(() => undefined);
    expect(alive(watchdog)).toBe(false);
    expect(() => process.kill(-watchdog, 0)).toThrow(); // no process of its group is left
  }, 30_000);
});
