import { describe, expect, it } from 'vitest';
import { formatAcceptContact, ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import { parseMessage, type SipRequest } from '../../protocol/sip/index.js';
import { Registrar } from './registrar.js';
import { route, type RoutingContext } from './routing.js';

const enc = (icsi: string) => encodeURIComponent(icsi).replace(/%2D/g, '-');
const FLOW = { transport: 'tcp' as const, address: '127.0.0.1', port: 1, flowId: 'f' };

function request(uri: string, extra: string[] = [], method = 'INVITE'): SipRequest {
  return parseMessage(
    Buffer.from(
      [
        `${method} ${uri} SIP/2.0`,
        'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKx',
        'From: <sip:group-1@ims.lab>;tag=1',
        `To: <${uri}>`,
        'Call-ID: r1',
        `CSeq: 1 ${method}`,
        ...extra,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;
}

function registerContact(registrar: Registrar, user: string, contact: string, cseq: number): void {
  const reg = request(`sip:${user}@ims.lab`, [`Contact: ${contact}`, 'Expires: 600'], 'REGISTER');
  reg.set('Call-ID', `reg-${user}-${cseq}`);
  reg.set('CSeq', `${cseq} REGISTER`);
  const outcome = registrar.register(reg, { ...FLOW, flowId: `flow-${cseq}` });
  if (outcome.status !== 200) throw new Error(`register failed ${outcome.status}`);
}

function context(): RoutingContext {
  const registrar = new Registrar({
    domain: 'ims.lab',
    users: new Set(['sip:alice@ims.lab', 'sip:bob@ims.lab', 'sip:carol@ims.lab']),
  });
  // alice: one contact with every CPM ICSI, one with only cpm.session.
  registerContact(
    registrar,
    'alice',
    `<sip:alice@127.0.0.1:1001;transport=tcp>;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)},${enc(ICSI_CPM_DEFERRED)}"`,
    1,
  );
  registerContact(
    registrar,
    'alice',
    `<sip:alice@127.0.0.1:1002;transport=tcp>;+g.3gpp.icsi-ref="${enc(ICSI_CPM_SESSION)}"`,
    2,
  );
  // bob: only a contact without feature tags.
  registerContact(registrar, 'bob', '<sip:bob@127.0.0.1:2001;transport=tcp>', 3);
  return {
    domain: 'ims.lab',
    registrar,
    services: [{ userPattern: /^(conference-factory|group-.+)$/, uri: 'sip:127.0.0.1:5070;transport=tcp' }],
    unreachable: new Set(),
  };
}

const ports = (d: ReturnType<typeof route>) =>
  d.kind === 'users' ? d.bindings.map((b) => (b.contact.uri as { port?: number }).port) : d;

describe('protocol-notes §2: caller-preference routing at the CSCF (RFC 3841)', () => {
  const deferred = `Accept-Contact: ${formatAcceptContact([ICSI_CPM_DEFERRED], { require: true, explicit: true })}`;

  it('a deferred INVITE (Accept-Contact cpm.deferred;require;explicit) reaches only contacts registered with cpm.deferred', () => {
    const ctx = context();
    const r = request('sip:alice@ims.lab', [deferred]);
    expect(ports(route(r, r.requestUri, ctx))).toEqual([1001]);
  });

  it('no Accept-Contact: every contact', () => {
    const ctx = context();
    const r = request('sip:alice@ims.lab');
    expect(ports(route(r, r.requestUri, ctx))).toEqual([1001, 1002]);
  });

  it('Reject-Contact removes contacts that match it', () => {
    const ctx = context();
    const r = request('sip:alice@ims.lab', [
      `Reject-Contact: *;+g.3gpp.icsi-ref="${enc(ICSI_CPM_DEFERRED)}"`,
    ]);
    expect(ports(route(r, r.requestUri, ctx))).toEqual([1002]);
  });

  it('no matching contact → 480', () => {
    const ctx = context();
    const r = request('sip:bob@ims.lab', [deferred]);
    expect(route(r, r.requestUri, ctx)).toMatchObject({ kind: 'reject', status: 480 });
  });

  it('known but not registered → 480; unknown user → 404; other domain → 404', () => {
    const ctx = context();
    for (const [uri, status] of [
      ['sip:carol@ims.lab', 480],
      ['sip:mallory@ims.lab', 404],
      ['sip:alice@elsewhere.example', 404],
    ] as const) {
      const r = request(uri);
      expect(route(r, r.requestUri, ctx)).toMatchObject({ kind: 'reject', status });
    }
  });

  it('protocol-notes §6: a group chat MESSAGE (Conversation-ID) to a known but unregistered user goes to the PF; others 480', () => {
    const ctx = context();
    const imdn = request(
      'sip:carol@ims.lab',
      ['Conversation-ID: 5f0b5e3a-8d0c-4f63-9c59-1d7b3a0e2c11'],
      'MESSAGE',
    );
    expect(route(imdn, imdn.requestUri, ctx)).toMatchObject({
      kind: 'service',
      route: { uri: 'sip:127.0.0.1:5070;transport=tcp' },
    });
    const plain = request('sip:carol@ims.lab', [], 'MESSAGE');
    expect(route(plain, plain.requestUri, ctx)).toMatchObject({ kind: 'reject', status: 480 });
    const invite = request('sip:carol@ims.lab', ['Conversation-ID: 5f0b5e3a-8d0c-4f63-9c59-1d7b3a0e2c11']);
    expect(route(invite, invite.requestUri, ctx)).toMatchObject({ kind: 'reject', status: 480 });
  });

  it('conference factory and group URIs go to the PF', () => {
    const ctx = context();
    for (const uri of ['sip:conference-factory@ims.lab', 'sip:group-7@ims.lab']) {
      const r = request(uri);
      expect(route(r, r.requestUri, ctx)).toMatchObject({
        kind: 'service',
        route: { uri: 'sip:127.0.0.1:5070;transport=tcp' },
      });
    }
  });

  it('protocol-notes §3: bindings whose flow closed are unreachable → 480 at once', () => {
    const ctx = context();
    for (const b of ctx.registrar.lookup('sip:bob@ims.lab')) b.reachable = false;
    const r = request('sip:bob@ims.lab');
    expect(route(r, r.requestUri, ctx)).toMatchObject({ kind: 'reject', status: 480 });
  });

  it('fault injection: an unreachable UE is a black hole (the request times out)', () => {
    const ctx = context();
    const r = request('sip:bob@ims.lab');
    expect(route(r, r.requestUri, { ...ctx, unreachable: new Set(['sip:bob@ims.lab']) })).toEqual({
      kind: 'blackhole',
      aor: 'sip:bob@ims.lab',
    });
  });

  it('malformed Accept-Contact → 400', () => {
    const ctx = context();
    const r = request('sip:alice@ims.lab', ['Accept-Contact: ;;;']);
    expect(route(r, r.requestUri, ctx)).toMatchObject({ kind: 'reject', status: 400 });
  });
});
