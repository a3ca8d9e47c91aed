// A lab killed without a chance to stop its Kamailio (SIGKILL) does not leave Kamailio running on the SIP
// port: the launcher's watchdog sees the lab's pipe close and stops it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kamailioVersion } from '../../lab/kamailio/index.js';
import { listening } from '../../test-support/net.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('Kamailio started by the lab', () => {
  it('stops when the lab process is SIGKILLed (no orphan holding the SIP port)', async () => {
    kamailioVersion(); // what to install, if it is missing
    const lab = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'cpm-lab.js'), 'lab', '--ephemeral', '--cscf', 'kamailio'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CPM_LAB_LOG: 'error' },
      },
    );
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        lab.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /cscf\s+Kamailio\S*\s+\S*\s*SIP 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        lab.once('exit', (code) => reject(new Error(`the lab exited (${code}):\n${out}`)));
      });
      expect(await listening(port)).toBe(true);
      const gone = new Promise((resolve) => lab.once('exit', resolve));
      lab.kill('SIGKILL');
      await gone;
      // Kamailio's own shutdown is not signalled to us: poll its port (bounded by the test timeout).
      await expect.poll(() => listening(port), { timeout: 15_000, interval: 100 }).toBe(false);
    } finally {
      if (lab.exitCode === null && lab.signalCode === null) lab.kill('SIGKILL');
    }
  }, 60_000);
});
