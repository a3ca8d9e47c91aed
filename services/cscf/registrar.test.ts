import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest } from '../../protocol/sip/index.js';
import { Registrar } from './registrar.js';

const FLOW = { transport: 'tcp' as const, address: '127.0.0.1', port: 50712, flowId: 'f1' };

function register(opts: {
  user?: string;
  contacts?: string[];
  expires?: number;
  cseq?: number;
  callId?: string;
}): SipRequest {
  const user = opts.user ?? 'alice';
  const lines = [
    'REGISTER sip:ims.lab SIP/2.0',
    'Via: SIP/2.0/TCP 127.0.0.1:50712;branch=z9hG4bKr1',
    `From: <sip:${user}@ims.lab>;tag=r1`,
    `To: <sip:${user}@ims.lab>`,
    `Call-ID: ${opts.callId ?? 'reg-1'}`,
    `CSeq: ${opts.cseq ?? 1} REGISTER`,
    ...(opts.contacts ?? [`<sip:${user}@127.0.0.1:50712;transport=tcp>`]).map((c) => `Contact: ${c}`),
    ...(opts.expires === undefined ? [] : [`Expires: ${opts.expires}`]),
    'Content-Length: 0',
    '',
    '',
  ];
  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

function setup() {
  let now = 1_000_000;
  const registrar = new Registrar({
    domain: 'ims.lab',
    users: new Set(['sip:alice@ims.lab', 'sip:bob@ims.lab']),
    minExpires: 60,
    maxExpires: 3600,
    now: () => now,
  });
  return { registrar, advance: (s: number) => (now += s * 1000) };
}

describe('RFC 3261 §10.3 registrar', () => {
  it('register, refresh, de-register: bindings follow, 200 lists them with expires', () => {
    const { registrar, advance } = setup();
    const first = registrar.register(register({ expires: 600 }), FLOW);
    expect(first).toMatchObject({ status: 200, aor: 'sip:alice@ims.lab' });
    if (first.status !== 200) throw new Error('unreachable');
    expect(first.added).toHaveLength(1);
    expect(registrar.contactHeaders(first.bindings)).toEqual([
      '<sip:alice@127.0.0.1:50712;transport=tcp>;expires=600',
    ]);
    advance(100);
    const refresh = registrar.register(register({ expires: 600, cseq: 2 }), FLOW);
    expect(refresh).toMatchObject({ status: 200, added: [], refreshed: [expect.anything()] });
    expect(registrar.lookup('sip:alice@ims.lab')).toHaveLength(1);
    const gone = registrar.register(register({ expires: 0, cseq: 3 }), FLOW);
    expect(gone).toMatchObject({ status: 200, bindings: [], removed: [expect.anything()] });
    expect(registrar.lookup('sip:alice@ims.lab')).toEqual([]);
  });

  it('bindings expire with time; expire() returns them for third-party de-registration', () => {
    const { registrar, advance } = setup();
    registrar.register(register({ expires: 60 }), FLOW);
    expect(registrar.nextExpiry()).toBe(1_000_000 + 60_000);
    advance(59);
    expect(registrar.expire()).toEqual([]);
    advance(1);
    expect(registrar.lookup('sip:alice@ims.lab')).toEqual([]);
    expect(registrar.expire().map((b) => b.aor)).toEqual(['sip:alice@ims.lab']);
  });

  it('a refresh moves the next expiry later; a de-registration removes it; only due bindings expire', () => {
    const { registrar, advance } = setup();
    registrar.register(register({ expires: 60 }), FLOW);
    registrar.register(register({ user: 'bob', expires: 120, callId: 'reg-b' }), { ...FLOW, flowId: 'f2' });
    expect(registrar.nextExpiry()).toBe(1_000_000 + 60_000);
    advance(30);
    registrar.register(register({ expires: 600, cseq: 2 }), FLOW); // alice refreshes: bob's is now the earliest
    expect(registrar.nextExpiry()).toBe(1_000_000 + 120_000);
    advance(100); // t = 130 s: bob's binding is due, alice's (630 s) is not
    expect(registrar.expire().map((b) => b.aor)).toEqual(['sip:bob@ims.lab']);
    expect(registrar.lookup('sip:alice@ims.lab')).toHaveLength(1);
    expect(registrar.nextExpiry()).toBe(1_000_000 + 630_000);
    registrar.register(register({ expires: 0, cseq: 3 }), FLOW);
    expect(registrar.nextExpiry()).toBeUndefined();
    expect(registrar.expire()).toEqual([]);
  });

  it('a peer refreshing very often does not grow the expiry queue without bound', () => {
    const { registrar, advance } = setup();
    for (let i = 0; i < 20_000; i++) {
      registrar.register(register({ expires: 3600, cseq: i + 1 }), FLOW);
      advance(0.001);
    }
    expect(registrar.lookup('sip:alice@ims.lab')).toHaveLength(1);
    expect(registrar.expiryQueueSize).toBeLessThanOrEqual(4 * 1 + 1024 + 1);
    expect(registrar.nextExpiry()).toBe(1_000_000 + 19_999 + 3_600_000);
  });

  it('§10.3 step 7: an interval below Min-Expires → 423; above the maximum is capped', () => {
    const { registrar } = setup();
    expect(registrar.register(register({ expires: 30 }), FLOW)).toEqual({
      status: 423,
      reason: 'Interval Too Brief',
      minExpires: 60,
    });
    const capped = registrar.register(register({ expires: 99999 }), FLOW);
    if (capped.status !== 200) throw new Error('expected 200');
    expect(registrar.contactHeaders(capped.bindings)[0]).toContain('expires=3600');
  });

  it('§10.3 step 3: an unknown user → 404', () => {
    const { registrar } = setup();
    expect(registrar.register(register({ user: 'mallory' }), FLOW)).toMatchObject({ status: 404 });
  });

  it('§10.3 step 6: Contact * with Expires 0 removes all; otherwise 400', () => {
    const { registrar } = setup();
    registrar.register(register({ contacts: ['<sip:alice@127.0.0.1:1>', '<sip:alice@127.0.0.1:2>'] }), FLOW);
    expect(registrar.lookup('sip:alice@ims.lab')).toHaveLength(2);
    expect(registrar.register(register({ contacts: ['*'], expires: 60, cseq: 2 }), FLOW)).toMatchObject({
      status: 400,
    });
    expect(registrar.register(register({ contacts: ['*'], expires: 0, cseq: 2 }), FLOW)).toMatchObject({
      status: 200,
      bindings: [],
    });
    expect(registrar.lookup('sip:alice@ims.lab')).toEqual([]);
  });

  it('§10.3 step 7: same Call-ID with a CSeq not higher → 500, nothing changes', () => {
    const { registrar } = setup();
    registrar.register(register({ cseq: 5 }), FLOW);
    expect(registrar.register(register({ cseq: 5, expires: 0 }), FLOW)).toMatchObject({ status: 500 });
    expect(registrar.lookup('sip:alice@ims.lab')).toHaveLength(1);
  });

  it('RFC 5626 §6: the same +sip.instance and reg-id replace the old binding (new flow, new port)', () => {
    const { registrar } = setup();
    const instance = '+sip.instance="<urn:uuid:8e3c8b2e-1c2a-4d6f-9a8b-7c6d5e4f3a2b>";reg-id=1';
    registrar.register(
      register({ contacts: [`<sip:alice@127.0.0.1:1111;transport=tcp>;${instance}`] }),
      FLOW,
    );
    const again = registrar.register(
      register({ contacts: [`<sip:alice@127.0.0.1:2222;transport=tcp>;${instance}`], callId: 'reg-2' }),
      { ...FLOW, port: 2222, flowId: 'f2' },
    );
    expect(again).toMatchObject({ status: 200, refreshed: [expect.anything()] });
    const [binding] = registrar.lookup('sip:alice@ims.lab');
    expect(registrar.lookup('sip:alice@ims.lab')).toHaveLength(1);
    expect(binding!.instanceId).toBe('urn:uuid:8e3c8b2e-1c2a-4d6f-9a8b-7c6d5e4f3a2b');
    expect(binding!.flow.flowId).toBe('f2');
    expect(registrar.bindingsOnFlow('f2')).toHaveLength(1);
    expect(registrar.bindingsOnFlow('f1')).toHaveLength(0);
  });

  it('RFC 3840: the registered feature set is kept; lookup orders by q', () => {
    const { registrar } = setup();
    registrar.register(
      register({
        contacts: [
          '<sip:alice@127.0.0.1:1>;q=0.2',
          '<sip:alice@127.0.0.1:2>;q=0.9;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred"',
        ],
      }),
      FLOW,
    );
    const [best, other] = registrar.lookup('sip:alice@ims.lab');
    expect(best!.q).toBe(0.9);
    expect(best!.params.get('+g.3gpp.icsi-ref')).toBe('urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred');
    expect(other!.q).toBe(0.2);
  });

  it('malformed Expires → 400', () => {
    const { registrar } = setup();
    const r = register({});
    r.set('Expires', 'soon');
    expect(registrar.register(r, FLOW)).toMatchObject({ status: 400 });
  });
});
