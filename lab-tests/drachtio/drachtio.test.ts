// The PF on drachtio-server (docs/drachtio.md): the whole conformance suite with the PF as a drachtio-srf
// application on a real drachtio-server, with the lab's CSCF and with Kamailio; the `pf` command connected to
// a drachtio-server it did not start; a missing binary reported with what to install. A missing `drachtio`
// binary fails these tests (scripts/build-drachtio.sh builds it; CI does), never skips them.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCommand, type ConformanceOutcome } from '../../cli/commands/conformance.js';
import { CLAUSE_IDS } from '../../lab/scenarios/types.js';
import { freePort } from '../../runtime/index.js';
import { drachtioVersion, startDrachtioServer } from '../../services/pf/drachtio/index.js';
import { CLI, startCli, stopCli } from '../../test-support/cli-process.js';
import { silentLogger } from '../../test-support/cscf.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

for (const cscf of ['mock', 'kamailio'] as const) {
  describe(`conformance with the PF on drachtio-server (CSCF: ${cscf})`, () => {
    let tmp: string;
    let outcome: ConformanceOutcome;
    const printed: string[] = [];

    beforeAll(async () => {
      drachtioVersion(); // throws with what to install
      tmp = await mkdtemp(join(tmpdir(), `cpm-lab-drachtio-${cscf}-`));
      outcome = await conformanceCommand(
        { embedded: true, pfSipEngine: 'drachtio', cscf, t1: 50, out: join(tmp, 'report') },
        { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
      );
    }, 240_000);

    afterAll(async () => {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('the report names drachtio-server and drachtio-srf as the PF SIP engine', () => {
      expect(outcome.report?.pfSipEngine, printed.join('\n')).toMatch(
        /^drachtio-server \d+\.\d+\.\d+ \(started by the PF\), drachtio-srf \d+\.\d+\.\d+$/,
      );
    });

    for (const clause of CLAUSE_IDS) {
      it(`${clause} passes with the PF on drachtio-server`, () => {
        const verdict = outcome.report?.clauses.find((c) => c.clause === clause);
        expect(verdict?.verdict, verdict?.reasons.join('\n') ?? printed.join('\n')).toBe('pass');
      });
    }

    it(`exit code 0; only what needs the lab's own CSCF is not applicable`, () => {
      expect(outcome.exitCode, printed.join('\n')).toBe(0);
      const skipped = outcome.report?.scenarios.filter((r) => r.notApplicable !== undefined) ?? [];
      expect(skipped.map((r) => r.name)).toEqual(cscf === 'mock' ? [] : ['network-deregistration']);
    });
  });
}

describe('cpm-lab pf --sip-engine drachtio (a drachtio-server the PF did not start)', () => {
  it('connects with --drachtio and --drachtio-secret, takes the capture on --drachtio-capture, and says so in /state', async () => {
    const capturePort = await freePort();
    const server = await startDrachtioServer({
      host: '127.0.0.1',
      sipPort: 0,
      capture: { host: '127.0.0.1', port: capturePort },
      logger: silentLogger('drachtio'),
    });
    const controlPort = await freePort();
    const pf = await startCli([
      'pf',
      '--sip-engine',
      'drachtio',
      '--drachtio',
      `127.0.0.1:${server.admin.port}`,
      '--drachtio-secret',
      server.admin.secret,
      '--drachtio-capture',
      `127.0.0.1:${capturePort}`,
      '--msrp-port',
      '0',
      '--control-port',
      String(controlPort),
      '--store',
      ':memory:',
      '--group',
      'none',
    ]).catch(async (err: unknown) => {
      await server.close();
      throw err;
    });
    try {
      const state = (await (await fetch(`http://127.0.0.1:${controlPort}/state`)).json()) as {
        sipEngine: string;
        sip: { tcp: { port: number } };
      };
      expect(state.sipEngine).toBe(
        `drachtio-server at 127.0.0.1:${server.admin.port}, drachtio-srf ${state.sipEngine.split('drachtio-srf ')[1]}`,
      );
      expect(state.sip.tcp.port, 'the PF SIP endpoint is drachtio-server').toBe(server.sip.port);
    } finally {
      await stopCli(pf);
      await server.close();
    }
  });

  it('no drachtio binary: `cpm-lab lab --pf-sip-engine drachtio` exits 2 and says what to install', () => {
    const run = spawnSync(process.execPath, [CLI, 'lab', '--pf-sip-engine', 'drachtio', '--ephemeral'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CPM_LAB_DRACHTIO: '/nonexistent/drachtio', CPM_LAB_LOG: 'error' },
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/drachtio-server is not installed/);
    expect(run.stderr).toMatch(/docs\/drachtio\.md/);
  });
});
