// SIPp (sip-tester) plays the PF against the CpmClient: INVITEs straight to the client's SIP listener over TCP.
// A missing sipp binary fails these tests (assertSippInstalled), never skips them.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MsrpEndpoint } from '../protocol/msrp/index.js';
import { assertSippInstalled, type SippResult, startSipp } from '../protocol/sip/test-support/sipp.js';
import { freePort } from '../runtime/index.js';
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
  /** The IDs on the wire; `null` leaves the header out (an unknown X-Absent header stands in its line). */
  ids?: { conv: string | null; contrib: string | null };
  /** The IDs the client knows the group by (default CONV_ID / CONTRIB_ID). */
  known?: { conv: string; contrib: string };
}

/** The header line for an ID, or a harmless unknown header (RFC 3261 §8.2.2.1: ignored) when it is absent. */
function idHeader(name: string, value: string | null): string {
  return value === null ? `X-Absent: ${name}` : `${name}: ${value}`;
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
    // The RFC 3261 default: the 2xx is retransmitted after T1 until the ACK (§13.3.1.4, any transport). With a
    // shortened T1 a loaded machine can retransmit before it has read SIPp's ACK, which SIPp counts as unexpected.
    t1: 500,
    logger: SILENT,
  });
  // The PF's MSRP side (RFC 6135 passive): waiting for the client's binding SEND from the path of its 2xx, so
  // that the client's connection succeeds and its session stays up until SIPp's BYE.
  client.on('invitation', (info) => {
    if (info.status !== 200) return;
    queueMicrotask(() => {
      const session = client.sessions().find((x) => x.state === 'establishing');
      if (session) peer.start(session.msrpPath).catch(() => undefined);
    });
  });
  client.addGroup({
    conversationId: c.known?.conv ?? CONV_ID,
    contributionId: c.known?.contrib ?? CONTRIB_ID,
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
    'conv_header',
    idHeader('Conversation-ID', c.ids === undefined ? (c.known?.conv ?? CONV_ID) : c.ids.conv),
    '-key',
    'contrib_header',
    idHeader('Contribution-ID', c.ids === undefined ? (c.known?.contrib ?? CONTRIB_ID) : c.ids.contrib),
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

  // Protocol profile §1 / 7.3.2: 481 only with BOTH IDs present and unknown; IDs are opaque tokens.
  const idCases: Array<[string, Case, number]> = [
    [
      'Contribution-ID only',
      { scenario: '', service: 'deferred', ids: { conv: null, contrib: CONTRIB_ID } },
      200,
    ],
    [
      'Conversation-ID only',
      { scenario: '', service: 'deferred', ids: { conv: CONV_ID, contrib: null } },
      200,
    ],
    [
      'neither ID (matched by the conference URI)',
      { scenario: '', service: 'deferred', ids: { conv: null, contrib: null } },
      200,
    ],
    [
      '32-hex IDs, known',
      {
        scenario: '',
        service: 'deferred',
        known: { conv: '0B1D4F0E5C2A4E8A9F00112233445566', contrib: 'a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d' },
      },
      200,
    ],
    [
      'free-form token IDs, known',
      { scenario: '', service: 'deferred', known: { conv: 'rcs.conv-42', contrib: "c~1_'x" } },
      200,
    ],
    [
      'free-form token IDs, unknown',
      { scenario: '', service: 'deferred', ids: { conv: 'rcs.conv-43', contrib: 'c-9' } },
      481,
    ],
    [
      'free-form token IDs, unknown (session)',
      { scenario: '', service: 'session', ids: { conv: 'other.conv', contrib: 'x*y' } },
      481,
    ],
  ];
  for (const [label, c, status] of idCases) {
    it(`D1.iv / A2.ii / 7.3.2: ${label} → ${status} (${status === 200 ? (c.service === 'deferred' ? 'pf-invite-deferred-200.xml' : 'pf-invite-active-200.xml') : 'pf-invite-481.xml'})`, async () => {
      const scenario =
        status === 481
          ? 'pf-invite-481.xml'
          : c.service === 'deferred'
            ? 'pf-invite-deferred-200.xml'
            : 'pf-invite-active-200.xml';
      const { result, cleanup } = await play({ ...c, scenario });
      await cleanup();
      expect(result.code, report(result)).toBe(0);
    });
  }

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
