// CLI verbs (in-process) against a running client daemon, the lab-topology lookup, and `cpm-lab client` as a
// real process (ready line, clean SIGTERM).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientDaemon, clientConfig } from '../../client/index.js';
import { CONFERENCE_URI, CONTRIB_ID, CONV_ID } from '../../client/test-support/fixtures.js';
import { tempDir } from '../../client/test-support/harness.js';
import { SILENT, startTestLab, type TestLab } from '../../client/test-support/test-pf.js';
import { freePort } from '../../runtime/index.js';
import { resolveControlUrl } from '../../client/daemon/control-client.js';
import { createLabApi } from '../../lab/api/index.js';
import { createLogger, startControlServer } from '../../runtime/index.js';
import { inboxVerb, offlineVerb, onlineVerb, policyVerb, sayVerb, targetOf } from './user-verbs.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon(): Promise<{ lab: TestLab; d: ClientDaemon; dir: string }> {
  const lab = await startTestLab();
  cleanups.push(() => lab.close());
  const tmp = await tempDir();
  cleanups.push(() => tmp.remove());
  const d = await ClientDaemon.start(
    clientConfig(
      { user: 'alice', cscf: `127.0.0.1:${lab.cscfAddress.port}`, storeDir: tmp.dir, t1: '50' },
      {},
    ),
    { logger: SILENT },
  );
  cleanups.push(() => d.close());
  d.client.addGroup({
    conversationId: CONV_ID,
    contributionId: CONTRIB_ID,
    conferenceUri: CONFERENCE_URI,
    subject: 'team',
  });
  return { lab, d, dir: tmp.dir };
}

describe('cpm-lab user verbs', () => {
  it('R3 / D1.v: offline, say (queued), online (re-join sends it), policy, inbox against a running daemon', async () => {
    const { lab, d } = await daemon();
    const target = { clientUrl: d.controlUrl };
    expect(await offlineVerb('alice', false, target)).toBe('alice is offline (deregistered)');
    expect(await sayVerb('alice', 'team', 'hello', target)).toMatch(/^alice → team: queued [0-9a-f]+/);
    expect(await onlineVerb('alice', target)).toMatch(/^alice is online \(registered for \d+ s\)$/);
    const { leg } = await lab.pf.waitForJoin();
    await leg.waitForMessage(() => true);
    expect(await policyVerb('alice', 'later', 'team', target)).toBe('alice: invitations for team → later');
    expect(d.client.store.policy.perGroup).toEqual({ [CONV_ID]: 'later' });
    expect(await offlineVerb('alice', true, target)).toBe('alice is offline (dropped)');
    const inbox = await inboxVerb('alice', target);
    expect(inbox).toMatch(
      /^alice: 0 message\(s\) received, 1 sent, 0 notification\(s\); times in UTC\n {2}\d{4}-\d\d-\d\dT[^ ]+ {2}\[team\] me: hello/,
    );
    expect(JSON.parse(await inboxVerb('alice', target, { json: true }))).toMatchObject({
      messages: [],
      sent: [{ text: 'hello' }],
    });
  });

  it('clear errors: unknown group, bad policy, unreachable node', async () => {
    const { d } = await daemon();
    const target = { clientUrl: d.controlUrl };
    await expect(sayVerb('alice', 'nope', 'x', target)).rejects.toThrow('alice: alice knows no group "nope"');
    await expect(policyVerb('alice', 'maybe', undefined, target)).rejects.toThrow(
      /"policy" must be one of accept, decline, later/,
    );
    const port = await freePort();
    await expect(onlineVerb('bob', { clientUrl: `http://127.0.0.1:${port}` })).rejects.toThrow(
      `cannot reach bob's control API at http://127.0.0.1:${port} (ECONNREFUSED) — is the lab running? (\`npm run lab\`)`,
    );
    await expect(onlineVerb('bob', { lab: `http://127.0.0.1:${port}` })).rejects.toThrow(
      /cannot reach the lab API/,
    );
  });

  it('lab lookup: the verbs find the client in GET /topology and reach it through the lab API pass-through', async () => {
    const { d } = await daemon();
    const api = await startControlServer(
      createLabApi({
        nodes: [{ name: 'alice', role: 'client', controlUrl: d.controlUrl }],
        logger: createLogger('lab', { level: 'error', write: () => {} }),
      }),
      { port: 0 },
    );
    cleanups.push(() => api.close());
    const lab = api.url;
    expect(targetOf({ lab }, {})).toEqual({ lab });
    expect(targetOf({}, { CPM_LAB_CLIENT_URL: d.controlUrl })).toEqual({ clientUrl: d.controlUrl });
    expect(await resolveControlUrl('alice', { lab })).toBe(`${lab}/nodes/alice`);
    expect(await onlineVerb('alice', { lab })).toMatch(/alice is online/);
    await expect(onlineVerb('carol', { lab })).rejects.toThrow('the lab has no client node "carol"');
  });

  it('`cpm-lab client` runs as a process: one ready line, registered, clean exit on SIGTERM', async () => {
    const lab = await startTestLab();
    cleanups.push(() => lab.close());
    const tmp = await tempDir();
    cleanups.push(() => tmp.remove());
    const root = join(import.meta.dirname, '..', '..');
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(root, 'services/pf/store/test-support/register-ts.mjs'),
        join(root, 'client/test-support/run-client-command.mjs'),
        'client',
        '--user',
        'alice',
        '--cscf',
        `127.0.0.1:${lab.cscfAddress.port}`,
        '--store-dir',
        tmp.dir,
      ],
      {
        env: { ...process.env, CPM_LAB_LOG_FORMAT: 'json', CPM_LAB_LOG: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    let stderr = '';
    const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        for (const line of stderr.split('\n')) {
          if (line.includes('"ready"')) resolve(JSON.parse(line) as Record<string, unknown>);
        }
      });
      child.on('close', () => reject(new Error(`exited before ready:\n${stderr}`)));
    });
    expect(ready).toMatchObject({ registration: 'online', user: 'sip:alice@ims.lab' });
    expect(stderr.split('\n').filter((l) => l.includes('"ready"'))).toHaveLength(1);
    expect(lab.cscf.state().bindings.some((b) => b.aor === 'sip:alice@ims.lab')).toBe(true);
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
    // SIGTERM de-registers.
    expect(lab.cscf.state().bindings).toEqual([]);
  }, 60_000); // a child that transpiles TypeScript at start: slow on a loaded machine
});
