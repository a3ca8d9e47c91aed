// Kamailio (Debian's package) as the lab's CSCF, started from interop/kamailio/kamailio.cfg on free ports
// (docs/kamailio.md). The conformance suite passes through it; SIPp registers and calls a lab client through
// it; a lab client re-joins through it (in-dialog ACK and BYE reach the PF); caller preferences hold.
// A missing kamailio or sipp binary fails these tests with what to install, never skips them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCommand, type ConformanceOutcome } from '../../cli/commands/conformance.js';
import { type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';
import { kamailioVersion } from '../../lab/kamailio/index.js';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import { Steps } from '../../lab/scenarios/steps.js';
import { CLAUSE_IDS } from '../../lab/scenarios/types.js';
import { requestHops, sipHops } from '../../lab/scenarios/wire.js';
import { MsrpEndpoint } from '../../protocol/msrp/index.js';
import { assertSippInstalled, type SippResult, startSipp } from '../../protocol/sip/test-support/sipp.js';
import { freePort } from '../../runtime/index.js';

const SCENARIOS = new URL('./sipp/', import.meta.url).pathname;
const show = (r: SippResult) => `sipp exited ${r.code}\n${r.stderr}\n${r.stdout.slice(-3000)}`;

let lab: PrivateLab;
let client: LabClient;
let kamailio: { host: string; port: number };

beforeAll(async () => {
  kamailioVersion(); // throws with what to install
  assertSippInstalled();
  lab = await startPrivateLab({ t1: 50, level: 'error', label: 'kamailio-test', cscf: 'kamailio' });
  client = new LabClient(lab.url);
  const engine = lab.lab.cscfEngine;
  if (engine.engine !== 'kamailio') throw new Error('expected Kamailio as the CSCF');
  kamailio = { host: engine.kamailio.host, port: engine.kamailio.port };
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

/** SIPp running `scenario` (lab-tests/kamailio/sipp) over one TCP connection to Kamailio, with extra args. */
async function sippThroughKamailio(scenario: string, extra: string[] = []) {
  return startSipp([
    `${kamailio.host}:${kamailio.port}`,
    '-sf',
    join(SCENARIOS, scenario),
    '-t',
    't1',
    '-i',
    '127.0.0.1',
    '-p',
    String(await freePort()),
    ...extra,
  ]);
}

describe('Kamailio as the CSCF', () => {
  it('the lab API shows Kamailio as an external CSCF, with no control API', async () => {
    const topology = await client.get<{
      nodes: Array<{ name: string }>;
      peers: Array<Record<string, string>>;
    }>('/topology');
    expect(topology.nodes.map((n) => n.name)).not.toContain('cscf');
    expect(topology.peers).toEqual([
      expect.objectContaining({
        name: 'cscf',
        role: 'cscf',
        sip: `${kamailio.host}:${kamailio.port}`,
        product: expect.stringMatching(/^Kamailio \d+\.\d+/),
      }),
    ]);
  });

  it('RFC 3261 §16, §12.2: SIPp registers with Kamailio and calls a lab client through it (INVITE/200/ACK/BYE)', async () => {
    const alice = lab.lab.clients.get('alice')!.client;
    const conv = '9d7c2a10-4b6e-4f1a-8c3d-2e5f6a7b8c90';
    const contrib = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const conference = 'sip:group-sipp@ims.lab';
    alice.addGroup({
      conversationId: conv,
      contributionId: contrib,
      conferenceUri: conference,
      subject: 'SIPp',
    });
    // The other end of the MSRP session: the client connects (it answers a=setup:active to actpass).
    const msrp = await MsrpEndpoint.listen({});
    const peer = msrp.createSession({ setup: 'passive' });
    const onInvitation = (info: { status: number }) => {
      if (info.status !== 200) return;
      queueMicrotask(() => {
        const session = alice.sessions().find((x) => x.state === 'establishing');
        if (session) peer.start(session.msrpPath).catch(() => undefined);
      });
    };
    alice.on('invitation', onInvitation);
    try {
      const run = await sippThroughKamailio('register-call-client.xml', [
        '-key',
        'conv',
        conv,
        '-key',
        'contrib',
        contrib,
        '-key',
        'conference',
        conference,
        '-key',
        'msrp_path',
        peer.localPath,
      ]);
      const result = await run.done;
      expect(result.code, show(result)).toBe(0);
    } finally {
      alice.off('invitation', onInvitation);
      await msrp.close();
    }
  });

  it('RFC 3841 §7.2: an INVITE whose Accept-Contact requires a service the callee did not register gets 480', async () => {
    // The lab client registers cpm.session, cpm.deferred and cpm.msg, not cpm.largemsg (protocol profile §2).
    const run = await sippThroughKamailio('caller-prefs-480.xml');
    const result = await run.done;
    expect(result.code, show(result)).toBe(0);
  });

  it('RFC 3261 §16.12: a lab client re-joins through Kamailio; its in-dialog ACK and BYE reach the PF', async () => {
    const steps = new Steps(client, () => {});
    await steps.baseline(['alice', 'bob']);
    const group = await steps.newGroup('kamailio-rejoin', ['alice', 'bob']);
    await steps.send('bob', group, 'opening');
    await steps.waitConnected(group, ['alice', 'bob']);
    await steps.waitSent('bob', group, ['opening']); // or bob, unanswered, would re-join after the BYE
    await steps.endSession(group);
    const since = await client.traceBookmark();
    await steps.send('alice', group, 'back again'); // R3: a re-join with something to send
    await steps.waitConnected(group, ['alice']);
    await steps.offline('alice', 'deregister'); // the client leaves the session: BYE, then REGISTER Expires 0
    await steps.online('alice');
    const hops = await client.hops(since);
    const rejoin = requestHops(hops, {
      method: 'INVITE',
      from: 'alice',
      to: 'cscf',
      uri: group.conferenceUri,
    });
    expect(
      rejoin,
      `alice re-joins with one INVITE to the conference URI:\n${sipHops(hops)
        .map((h) => `${h.index} ${h.hop.from}>${h.hop.to} ${h.hop.label}`)
        .join('\n')}`,
    ).toHaveLength(1);
    const callId = rejoin[0]!.message.callId;
    const atPf = (method: string) =>
      sipHops(hops).filter(
        (h) =>
          h.message.isRequest &&
          h.message.method === method &&
          h.message.callId === callId &&
          h.hop.from === 'cscf' &&
          h.hop.to === 'pf',
      );
    expect(atPf('INVITE'), 'the INVITE reaches the PF (PSI routing)').toHaveLength(1);
    expect(atPf('ACK'), 'the ACK reaches the PF (Request-URI: the conference URI)').toHaveLength(1);
    expect(atPf('BYE'), 'the BYE reaches the PF').toHaveLength(1);
  });
});

describe('conformance through Kamailio', () => {
  let tmp: string;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-kamailio-conformance-'));
    outcome = await conformanceCommand(
      { lab: lab.url, out: join(tmp, 'report') },
      { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
    );
  }, 240_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the report names Kamailio as the CSCF', () => {
    expect(outcome.report?.cscf, printed.join('\n')).toMatch(/^Kamailio \d+\.\d+.* at 127\.0\.0\.1:\d+/);
  });

  it('network-deregistration (a fault of the mock CSCF) is not applicable, with the reason; nothing else is', () => {
    const skipped = outcome.report?.scenarios.filter((r) => r.notApplicable !== undefined) ?? [];
    expect(skipped.map((r) => r.name)).toEqual(['network-deregistration']);
    expect(skipped[0]!.notApplicable).toMatch(/needs the lab's own CSCF/);
    expect(printed.join('\n')).toMatch(
      /network-deregistration[\s\S]*→ not applicable: needs the lab's own CSCF/,
    );
  });

  for (const clause of CLAUSE_IDS) {
    it(`${clause} passes with Kamailio as the CSCF`, () => {
      const verdict = outcome.report?.clauses.find((c) => c.clause === clause);
      expect(verdict?.verdict, verdict?.reasons.join('\n') ?? printed.join('\n')).toBe('pass');
    });
  }

  it('exit code 0: every clause passes', () => {
    expect(outcome.exitCode, printed.join('\n')).toBe(0);
  });
});
