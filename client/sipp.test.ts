// SIPp (sip-tester) plays the PF against the CpmClient: INVITEs straight to the client's SIP listener over TCP.
// A missing sipp binary fails these tests (assertSippInstalled), never skips them.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MsrpEndpoint } from '../protocol/msrp/index.js';
import {
  assertSippInstalled,
  freePort,
  type SippResult,
  startSipp,
} from '../protocol/sip/test-support/sipp.js';
import { CpmClient } from './cpm-client.js';
import {
  CONFERENCE_URI,
  CONTRIB_ID,
  CONV_ID,
  ENCODED_DEFERRED,
  ENCODED_SESSION,
} from './test-support/fixtures.js';
import { tempDir } from './test-support/harness.js';
import { SILENT } from './test-support/test-pf.js';

const SCENARIOS = new URL('./test-support/sipp/', import.meta.url).pathname;
const DEFERRED = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred';
const SESSION = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session';

beforeAll(() => assertSippInstalled());

function report(r: SippResult): string {
  return `SIPp exited with ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr}`;
}

interface Case {
  scenario: string;
  policy?: 'accept' | 'decline' | 'later';
  service: 'deferred' | 'session';
  ids?: { conv: string; contrib: string };
}

async function play(
  c: Case,
): Promise<{ client: CpmClient; result: SippResult; cleanup: () => Promise<void> }> {
  const tmp = await tempDir();
  const pfMsrp = await MsrpEndpoint.listen({});
  const peer = pfMsrp.createSession({ setup: 'passive' });
  const client = await CpmClient.start({
    user: 'alice',
    // Never used for these INVITEs; the client is not registered (SIPp reaches the listener directly).
    cscf: { host: '127.0.0.1', port: await freePort() },
    store: join(tmp.dir, 'alice.json'),
    defaultPolicy: c.policy ?? 'accept',
    t1: 50,
    logger: SILENT,
  });
  client.addGroup({
    conversationId: CONV_ID,
    contributionId: CONTRIB_ID,
    conferenceUri: CONFERENCE_URI,
    subject: 'Team',
  });
  const run = startSipp([
    `127.0.0.1:${client.sipAddress.port}`,
    '-sf',
    join(SCENARIOS, c.scenario),
    '-t',
    't1',
    '-i',
    '127.0.0.1',
    '-p',
    String(await freePort()),
    '-key',
    'icsi',
    c.service === 'deferred' ? ENCODED_DEFERRED : ENCODED_SESSION,
    '-key',
    'asserted',
    c.service === 'deferred' ? DEFERRED : SESSION,
    '-key',
    'direction',
    c.service === 'deferred' ? 'sendonly' : 'sendrecv',
    '-key',
    'conv',
    c.ids?.conv ?? CONV_ID,
    '-key',
    'contrib',
    c.ids?.contrib ?? CONTRIB_ID,
    '-key',
    'msrp_path',
    peer.localPath,
  ]);
  const result = await run.done;
  return {
    client,
    result,
    cleanup: async () => {
      await client.close();
      await pfMsrp.close();
      await tmp.remove();
    },
  };
}

describe.concurrent('SIPp as the PF against the CPM client', () => {
  it('D1.iv: deferred INVITE with unknown IDs → 481 (pf-invite-481.xml)', async () => {
    const { result, cleanup } = await play({
      scenario: 'pf-invite-481.xml',
      service: 'deferred',
      ids: { conv: '11111111-2222-4333-8444-555555555555', contrib: CONTRIB_ID },
    });
    await cleanup();
    expect(result.code, report(result)).toBe(0);
  });

  it('A2.ii: session INVITE with unknown IDs → 481 (pf-invite-481.xml)', async () => {
    const { result, cleanup } = await play({
      scenario: 'pf-invite-481.xml',
      service: 'session',
      ids: { conv: CONV_ID, contrib: '11111111-2222-4333-8444-555555555555' },
    });
    await cleanup();
    expect(result.code, report(result)).toBe(0);
  });

  it('D1.v.1: policy decline → 603 and the group is left (pf-invite-603.xml)', async () => {
    const { client, result, cleanup } = await play({
      scenario: 'pf-invite-603.xml',
      service: 'deferred',
      policy: 'decline',
    });
    const left = client.groups()[0]?.left;
    await cleanup();
    expect(result.code, report(result)).toBe(0);
    expect(left).toBe(true);
  });

  it('D1.v.2: policy later → 480 (pf-invite-480.xml)', async () => {
    const { result, cleanup } = await play({
      scenario: 'pf-invite-480.xml',
      service: 'deferred',
      policy: 'later',
    });
    await cleanup();
    expect(result.code, report(result)).toBe(0);
  });

  it('D1.a / D1.v / D1.iii: deferred INVITE → 200 with a=recvonly and a=setup:active, ACK, BYE (pf-invite-deferred-200.xml)', async () => {
    const { client, result, cleanup } = await play({
      scenario: 'pf-invite-deferred-200.xml',
      service: 'deferred',
    });
    const state = client.groups()[0]?.sessionState;
    await cleanup();
    expect(result.code, report(result)).toBe(0);
    expect(state).toBe('inactive');
  });

  it('A2.a / A2.i: session INVITE (sendrecv) → 200 with a=sendrecv and a=setup:active, ACK, BYE (pf-invite-active-200.xml)', async () => {
    const { result, cleanup } = await play({ scenario: 'pf-invite-active-200.xml', service: 'session' });
    await cleanup();
    expect(result.code, report(result)).toBe(0);
  });
});
