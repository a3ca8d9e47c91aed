import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { formatAcceptContact, ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import {
  buildAuthorization,
  createRequest,
  newCallId,
  newTag,
  parseChallenge,
  type SendTarget,
  type SipRequest,
} from '../../protocol/sip/index.js';
import { createLogger } from '../../runtime/index.js';
import { cscfConfig } from './config.js';
import { Cscf } from './cscf.js';
import { TestUa } from './test-support/test-ua.js';

const enc = (icsi: string) => encodeURIComponent(icsi).replace(/%2D/g, '-');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function lab(options: { auth?: boolean } = {}) {
  const pf = await TestUa.start();
  const cscf = await Cscf.start(
    {
      ...cscfConfig({}, {}),
      udpPort: 0,
      tcpPort: 0,
      controlPort: 0,
      t1: 50,
      unreachableTimeoutMs: 200,
      services: [
        { userPattern: /^(conference-factory|group-.+)$/, uri: `sip:${pf.address}:${pf.port};transport=tcp` },
      ],
      auth: { enabled: options.auth ?? false, passwords: new Map([['alice', 'secret']]) },
    },
    { logger: silentLogger() },
  );
  cleanups.push(
    () => pf.close(),
    () => cscf.close(),
  );
  const tcp: SendTarget = { transport: 'tcp', address: '127.0.0.1', port: cscf.sipAddresses.tcp!.port };
  const udp: SendTarget = { transport: 'udp', address: '127.0.0.1', port: cscf.sipAddresses.udp!.port };
  return { pf, cscf, tcp, udp };
}

async function ue(): Promise<TestUa> {
  const ua = await TestUa.start();
  cleanups.push(() => ua.close());
  return ua;
}

function registerRequest(
  user: string,
  contact: string,
  opts: { expires?: number; cseq?: number; callId?: string } = {},
): SipRequest {
  return createRequest({
    method: 'REGISTER',
    uri: 'sip:ims.lab',
    from: `<sip:${user}@ims.lab>;tag=${newTag()}`,
    to: `<sip:${user}@ims.lab>`,
    callId: opts.callId ?? newCallId('ue'),
    cseq: opts.cseq ?? 1,
    headers: [
      ['Contact', contact],
      ['Expires', opts.expires ?? 600],
    ],
  });
}

const allIcsis = `+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)},${enc(ICSI_CPM_DEFERRED)}"`;

describe('CSCF registrar over the wire (RFC 3261 §10.3)', () => {
  it('register → 200 with the binding; refresh; de-register; the PF gets third-party REGISTERs (protocol-notes §3)', async () => {
    const { pf, cscf, tcp } = await lab();
    const alice = await ue();
    const contact = `<sip:alice@127.0.0.1:${alice.port};transport=tcp>;${allIcsis}`;
    const ok = await alice.send(registerRequest('alice', contact, { callId: 'c1' }), tcp);
    expect(ok.status).toBe(200);
    expect(ok.getAll('contact')[0]).toContain('expires=600');
    const first = await pf.waitFor((r) => r.request.method === 'REGISTER');
    expect(first.request.to.uri).toMatchObject({ user: 'alice', host: 'ims.lab' });
    expect(first.request.get('expires')).toBe('600');
    expect(cscf.state().bindings).toHaveLength(1);

    expect(
      (await alice.send(registerRequest('alice', contact, { callId: 'c1', cseq: 2, expires: 300 }), tcp))
        .status,
    ).toBe(200);
    expect(
      (await alice.send(registerRequest('alice', contact, { callId: 'c1', cseq: 3, expires: 0 }), tcp))
        .status,
    ).toBe(200);
    const last = await pf.waitFor((r) => r.request.method === 'REGISTER' && r.request.get('expires') === '0');
    expect(last.request.to.uri).toMatchObject({ user: 'alice' });
    expect(cscf.state().bindings).toEqual([]);
  });

  it('RFC 3261 §10.3 step 7: 423 Interval Too Brief with Min-Expires; unknown user → 404', async () => {
    const { tcp } = await lab();
    const alice = await ue();
    const brief = await alice.send(
      registerRequest('alice', `<sip:alice@127.0.0.1:${alice.port}>`, { expires: 5 }),
      tcp,
    );
    expect(brief.status).toBe(423);
    expect(brief.get('min-expires')).toBe('60');
    expect(
      (await alice.send(registerRequest('mallory', `<sip:m@127.0.0.1:${alice.port}>`), tcp)).status,
    ).toBe(404);
  });

  it('RFC 3261 §22: with authentication on, REGISTER is challenged and the digest answer accepted', async () => {
    const { tcp } = await lab({ auth: true });
    const alice = await ue();
    const contact = `<sip:alice@127.0.0.1:${alice.port};transport=tcp>`;
    const challenge = await alice.send(registerRequest('alice', contact, { callId: 'a1' }), tcp);
    expect(challenge.status).toBe(401);
    const www = challenge.get('www-authenticate')!;
    const retry = registerRequest('alice', contact, { callId: 'a1', cseq: 2 });
    retry.append(
      'Authorization',
      buildAuthorization({
        challenge: parseChallenge(www),
        username: 'alice',
        password: 'secret',
        method: 'REGISTER',
        uri: 'sip:ims.lab',
      }),
    );
    expect((await alice.send(retry, tcp)).status).toBe(200);
    const wrong = registerRequest('alice', contact, { callId: 'a1', cseq: 3 });
    wrong.append(
      'Authorization',
      buildAuthorization({
        challenge: parseChallenge(www),
        username: 'alice',
        password: 'guess',
        method: 'REGISTER',
        uri: 'sip:ims.lab',
      }),
    );
    expect((await alice.send(wrong, tcp)).status).toBe(401);
  });
});

describe('CSCF routing and flows (protocol-notes §2–§3)', () => {
  it('a deferred INVITE reaches only the contact registered with cpm.deferred, over its flow', async () => {
    const { pf, tcp } = await lab();
    const full = await ue();
    const sessionOnly = await ue();
    await full.send(
      registerRequest('alice', `<sip:alice@127.0.0.1:${full.port};transport=tcp>;${allIcsis}`, {
        callId: 'x1',
      }),
      tcp,
    );
    await sessionOnly.send(
      registerRequest(
        'alice',
        `<sip:alice@127.0.0.1:${sessionOnly.port};transport=tcp>;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)}"`,
        { callId: 'x2' },
      ),
      tcp,
    );
    const invite = pf.request('INVITE', 'sip:alice@ims.lab', 'sip:group-7@ims.lab', [
      ['Contact', `<sip:group-7@ims.lab>;isfocus`],
      ['Accept-Contact', formatAcceptContact([ICSI_CPM_DEFERRED], { require: true, explicit: true })],
    ]);
    const response = await pf.send(invite, tcp);
    expect(response.status).toBe(200);
    expect(full.received.map((r) => r.request.method)).toContain('INVITE');
    expect(sessionOnly.received.filter((r) => r.request.method === 'INVITE')).toHaveLength(0);
    // RFC 3261 §16.6 step 4: the CSCF stays on the dialog path.
    expect(full.received.find((r) => r.request.method === 'INVITE')!.request.get('record-route')).toContain(
      ';lr',
    );
  });

  it('an unreachable Contact still receives INVITEs over its flow; when the flow closes → 480 and a third-party REGISTER with Expires: 0', async () => {
    const { pf, cscf, tcp } = await lab();
    const alice = await ue();
    // Contact names a port nobody listens on (as behind a NAT): only the flow reaches the UE.
    await alice.send(
      registerRequest('alice', `<sip:alice@127.0.0.1:9;transport=tcp>;${allIcsis}`, { callId: 'n1' }),
      tcp,
    );
    const first = await pf.send(pf.request('MESSAGE', 'sip:alice@ims.lab', 'sip:group-7@ims.lab'), tcp);
    expect(first.status).toBe(200);
    expect(alice.received.some((r) => r.request.method === 'MESSAGE')).toBe(true);

    const [flow] = alice.transport.flows();
    alice.transport.closeFlow(flow!.flowId);
    const offline = await pf.waitFor(
      (r) => r.request.method === 'REGISTER' && r.request.get('expires') === '0',
    );
    expect(offline.request.to.uri).toMatchObject({ user: 'alice' });
    expect(cscf.state().bindings[0]!.reachable).toBe(false);
    const second = await pf.send(
      pf.request('INVITE', 'sip:alice@ims.lab', 'sip:group-7@ims.lab', [
        ['Contact', '<sip:group-7@ims.lab>'],
      ]),
      tcp,
    );
    expect(second.status).toBe(480);
  });

  it('RFC 3261 §21.5.14: an INVITE over the size limit on a registered flow gets 513 and the user keeps its registration (the flow stays up)', async () => {
    const { pf, cscf, tcp } = await lab();
    const alice = await ue();
    await alice.send(
      registerRequest('alice', `<sip:alice@127.0.0.1:9;transport=tcp>;${allIcsis}`, { callId: 'big1' }),
      tcp,
    );
    const big = alice.request('INVITE', 'sip:group-7@ims.lab', 'sip:alice@ims.lab', [
      ['Contact', '<sip:alice@127.0.0.1:9;transport=tcp>'],
    ]);
    big.body = Buffer.alloc(70 * 1024, 0x61);
    big.set('Content-Type', 'text/plain');
    const refused = await alice.send(big, tcp);
    expect(refused.status).toBe(513);
    expect(alice.transport.flows()).toHaveLength(1);
    expect(cscf.state().bindings[0]!.reachable).toBe(true);
    // The flow still carries requests to alice.
    const after = await pf.send(pf.request('MESSAGE', 'sip:alice@ims.lab', 'sip:group-7@ims.lab'), tcp);
    expect(after.status).toBe(200);
    expect(pf.received.some((r) => r.request.method === 'INVITE')).toBe(false);
  });

  it("RFC 3325 §9.1: a request from a registered flow carries the registration's P-Asserted-Identity (a claimed one is dropped); a From that does not match → 403", async () => {
    const { pf, tcp } = await lab();
    const alice = await ue();
    await alice.send(
      registerRequest('alice', `<sip:alice@127.0.0.1:9;transport=tcp>;${allIcsis}`, { callId: 'pai1' }),
      tcp,
    );
    const ok = await alice.send(
      alice.request('MESSAGE', 'sip:group-7@ims.lab', 'sip:alice@ims.lab', [
        ['P-Asserted-Identity', '<sip:bob@ims.lab>'],
        ['P-Preferred-Identity', '<sip:carol@ims.lab>'],
      ]),
      tcp,
    );
    expect(ok.status).toBe(200);
    const relayed = await pf.waitFor((r) => r.request.method === 'MESSAGE');
    expect(relayed.request.getAll('p-asserted-identity')).toEqual(['<sip:alice@ims.lab>']);
    expect(relayed.request.has('p-preferred-identity')).toBe(false);

    const forged = await alice.send(alice.request('MESSAGE', 'sip:group-7@ims.lab', 'sip:bob@ims.lab'), tcp);
    expect(forged.status).toBe(403);
    expect(pf.received.filter((r) => r.request.method === 'MESSAGE')).toHaveLength(1);
  });

  it('requests to the conference factory and group URIs go to the PF; unknown users 404; known offline 480', async () => {
    const { pf, tcp } = await lab();
    const alice = await ue();
    const toFactory = await alice.send(
      alice.request('INVITE', 'sip:conference-factory@ims.lab', 'sip:alice@ims.lab', [
        ['Contact', `<sip:alice@127.0.0.1:${alice.port};transport=tcp>`],
      ]),
      tcp,
    );
    expect(toFactory.status).toBe(200);
    expect(
      pf.received.some(
        (r) => r.request.method === 'INVITE' && r.request.uri === 'sip:conference-factory@ims.lab',
      ),
    ).toBe(true);
    expect(
      (await alice.send(alice.request('MESSAGE', 'sip:nobody@ims.lab', 'sip:alice@ims.lab'), tcp)).status,
    ).toBe(404);
    expect(
      (await alice.send(alice.request('MESSAGE', 'sip:bob@ims.lab', 'sip:alice@ims.lab'), tcp)).status,
    ).toBe(480);
  });

  it('fault injection: network-initiated de-registration and an unreachable UE (request times out → 408)', async () => {
    const { pf, cscf, tcp } = await lab();
    const bob = await ue();
    await bob.send(
      registerRequest('bob', `<sip:bob@127.0.0.1:${bob.port};transport=tcp>`, { callId: 'b1' }),
      tcp,
    );
    cscf.setReachable('bob', false);
    const held = await pf.send(pf.request('MESSAGE', 'sip:bob@ims.lab', 'sip:group-7@ims.lab'), tcp);
    expect(held.status).toBe(408);
    expect(bob.received).toHaveLength(0);
    cscf.setReachable('bob', true);
    expect((await pf.send(pf.request('MESSAGE', 'sip:bob@ims.lab', 'sip:group-7@ims.lab'), tcp)).status).toBe(
      200,
    );
    cscf.deregister('bob');
    await pf.waitFor(
      (r) =>
        r.request.method === 'REGISTER' &&
        r.request.get('expires') === '0' &&
        r.request.to.uri.scheme === 'sip',
    );
    expect((await pf.send(pf.request('MESSAGE', 'sip:bob@ims.lab', 'sip:group-7@ims.lab'), tcp)).status).toBe(
      480,
    );
  });

  it('fault injection: POST /users/:user/drop-flows closes the TCP flows of her bindings, as lost coverage (unreachable, the PF told); none left → 409', async () => {
    const { pf, cscf, tcp } = await lab();
    const alice = await ue();
    await alice.send(
      registerRequest('alice', `<sip:alice@127.0.0.1:9;transport=tcp>;${allIcsis}`, { callId: 'd1' }),
      tcp,
    );
    const base = cscf.controlUrl!;
    const dropped = await fetch(`${base}/users/alice/drop-flows`, { method: 'POST' });
    expect(dropped.status).toBe(200);
    expect(await dropped.json()).toEqual({ user: 'alice', droppedFlows: 1 });
    await pf.waitFor((r) => r.request.method === 'REGISTER' && r.request.get('expires') === '0');
    expect(cscf.state().bindings[0]!.reachable).toBe(false);
    const again = await fetch(`${base}/users/alice/drop-flows`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/no TCP flow to drop/);
  });

  it('the control API shows bindings and drives the faults', async () => {
    const { cscf, tcp } = await lab();
    const carol = await ue();
    await carol.send(
      registerRequest('carol', `<sip:carol@127.0.0.1:${carol.port};transport=tcp>;${allIcsis}`, {
        callId: 'k1',
      }),
      tcp,
    );
    const base = cscf.controlUrl!;
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: 'ok', node: 'cscf' });
    const state = (await (await fetch(`${base}/state`)).json()) as {
      bindings: Array<{ aor: string; features: Record<string, string> }>;
    };
    expect(state.bindings[0]!.aor).toBe('sip:carol@ims.lab');
    expect(state.bindings[0]!.features['+g.3gpp.icsi-ref']).toContain('cpm.deferred');
    expect((await fetch(`${base}/users/carol/unreachable`, { method: 'POST' })).status).toBe(200);
    expect(cscf.state().unreachable).toEqual(['sip:carol@ims.lab']);
    expect((await fetch(`${base}/users/nobody/deregister`, { method: 'POST' })).status).toBe(404);
    const trace = (await (await fetch(`${base}/trace`)).json()) as { records: unknown[] };
    expect(trace.records.length).toBeGreaterThanOrEqual(2);
  });
});

describe('CSCF bad input', () => {
  it('malformed requests get 400; 1000 garbage datagrams and a garbage TCP stream do not stop a valid REGISTER', async () => {
    const { tcp, udp } = await lab();
    const socket = createSocket('udp4');
    cleanups.push(() => new Promise((r) => socket.close(() => r())));
    const answers: string[] = [];
    socket.on('message', (m) => answers.push(m.toString('latin1')));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const malformed = `OPTIONS sip:bob@ims.lab SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${socket.address().port};branch=z9hG4bKbad\r\nFrom: <sip:a@ims.lab>;tag=1\r\nTo: <sip:bob@ims.lab>\r\nCall-ID: bad\r\nCSeq: x OPTIONS\r\nContent-Length: 0\r\n\r\n`;
    const got400 = new Promise<void>((resolve) =>
      socket.on('message', (m) => m.toString().startsWith('SIP/2.0 400') && resolve()),
    );
    socket.send(malformed, udp.port, '127.0.0.1');
    await got400;
    for (let i = 0; i < 1000; i++)
      socket.send(Buffer.from(`garbage ${i} \u0000\u00ff ${'x'.repeat(i % 200)}`), udp.port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      const s = connect(tcp.port, '127.0.0.1', () => {
        s.end(Buffer.alloc(70_000, 0x41));
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const alice = await ue();
    expect(
      (await alice.send(registerRequest('alice', `<sip:alice@127.0.0.1:${alice.port}>`), udp)).status,
    ).toBe(200);
    expect((await alice.send(registerRequest('bob', `<sip:bob@127.0.0.1:${alice.port}>`), tcp)).status).toBe(
      200,
    );
    expect(answers.filter((a) => a.startsWith('SIP/2.0 400'))).toHaveLength(1);
  });
});

function silentLogger() {
  return createLogger('cscf', { level: 'error', write: () => {} });
}
