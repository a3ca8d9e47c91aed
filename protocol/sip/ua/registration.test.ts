import { afterEach, describe, expect, it } from 'vitest';
import { installRegistrar } from '../test-support/registrar.js';
import { hopOf, nextEvent, startUa } from '../test-support/ua.js';
import type { TransportKind } from '../transport/index.js';
import { SipRequestError } from './errors.js';
import type { UserAgent } from './user-agent.js';

const ICSI = '+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"';
const agents: UserAgent[] = [];

async function ua(user: string, options: Parameters<typeof startUa>[1] = {}): Promise<UserAgent> {
  const agent = await startUa(user, options);
  agents.push(agent);
  return agent;
}

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

describe.each<TransportKind>(['udp', 'tcp'])('RFC 3261 §10.2 registration over %s', (transport) => {
  it('§22.2: the 401 challenge is answered once with digest credentials; the 200 grants the expires', async () => {
    const registrarUa = await ua('registrar');
    const registrar = installRegistrar(registrarUa, { users: { alice: 'secret' } });
    const alice = await ua('alice', { defaultTransport: transport });
    const reg = alice.registration({
      registrar: 'sip:ims.lab',
      contactParams: `;${ICSI}`,
      expires: 600,
      credentials: { username: 'alice', password: 'secret' },
      target: hopOf(registrarUa, transport),
    });
    const registered = nextEvent<[unknown, number]>(reg, 'registered');
    const ok = await reg.register();
    expect(ok.status).toBe(200);
    expect((await registered)[1]).toBe(600);
    expect(reg.state).toBe('registered');
    expect(reg.expires).toBe(600);
    // 401, then the authenticated retry: same Call-ID, CSeq + 1 (§10.2, §8.1.3.5).
    expect(registrar.requests.map((r) => r.request.has('authorization'))).toEqual([false, true]);
    const [first, second] = registrar.requests.map((r) => r.request);
    expect(second!.callId).toBe(first!.callId);
    expect(second!.cseq.seq).toBe(first!.cseq.seq + 1);
    expect(registrar.requests.every((r) => r.source.transport === transport)).toBe(true);
    // The feature tags ride on the Contact (RFC 3840).
    const binding = registrar.bindings.get('sip:alice@ims.lab')![0]!;
    expect(binding.contact).toContain('+g.3gpp.icsi-ref=');

    // §10.2.2: Expires: 0 removes the binding.
    const unregistered = nextEvent(reg, 'unregistered');
    await alice.unregister();
    await unregistered;
    expect(reg.state).toBe('unregistered');
    expect(registrar.bindings.get('sip:alice@ims.lab')).toEqual([]);
    expect(registrar.requests.at(-1)!.request.get('expires')).toBe('0');
  });
});

describe('RFC 3261 §10.2 registration rules', () => {
  it('§22.2: a challenge is answered only once: wrong credentials reject with SipRequestError 401', async () => {
    const registrarUa = await ua('registrar');
    const registrar = installRegistrar(registrarUa, { users: { alice: 'secret' } });
    const alice = await ua('alice', { outboundProxy: hopOf(registrarUa, 'udp') });
    const reg = alice.registration({
      registrar: 'sip:ims.lab',
      credentials: { username: 'alice', password: 'wrong' },
    });
    const failed = nextEvent<[SipRequestError]>(reg, 'failed');
    const error = await reg.register().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipRequestError);
    expect((error as SipRequestError).status).toBe(401);
    expect((error as SipRequestError).response.status).toBe(401);
    expect((await failed)[0]).toBe(error);
    expect(registrar.requests).toHaveLength(2);
    expect(reg.state).toBe('failed');
  });

  it('§10.2.8: 423 Interval Too Brief → retried with Min-Expires', async () => {
    const registrarUa = await ua('registrar');
    const registrar = installRegistrar(registrarUa, { minExpires: 1200 });
    const alice = await ua('alice', { outboundProxy: hopOf(registrarUa, 'udp') });
    const ok = await alice.register({ registrar: 'sip:ims.lab', expires: 60 });
    expect(ok.status).toBe(200);
    expect(registrar.requests.map((r) => r.request.get('expires'))).toEqual(['60', '1200']);
    expect(alice.registrations.get('sip:alice@ims.lab')!.expires).toBe(1200);
  });

  it('§10.2.1: the binding is refreshed before it expires (at half the granted interval)', async () => {
    const registrarUa = await ua('registrar');
    const registrar = installRegistrar(registrarUa, { maxExpires: 1 });
    const alice = await ua('alice', { outboundProxy: hopOf(registrarUa, 'udp') });
    const reg = alice.registration({ registrar: 'sip:ims.lab', expires: 600 });
    const refreshed = nextEvent<[unknown, number]>(reg, 'refreshed');
    await reg.register();
    expect(reg.expires).toBe(1);
    const [, expires] = await refreshed;
    expect(expires).toBe(1);
    const [a, b] = registrar.requests.map((r) => r.request);
    expect(b!.callId).toBe(a!.callId);
    expect(b!.cseq.seq).toBeGreaterThan(a!.cseq.seq);
  });

  it('§8.1.2 outbound proxy: every REGISTER goes over the one kept TCP flow, whatever the Request-URI', async () => {
    const registrarUa = await ua('registrar');
    const registrar = installRegistrar(registrarUa, { users: { alice: 'secret' } });
    const alice = await ua('alice', {
      outboundProxy: hopOf(registrarUa, 'tcp'),
      credentials: { username: 'alice', password: 'secret' },
    });
    await alice.register({ registrar: 'sip:unresolvable.invalid', expires: 600 });
    // The bound Contact is reachable over the transport the REGISTER used (§10.2.1).
    expect(registrar.bindings.get('sip:alice@ims.lab')![0]!.uri).toMatch(/;transport=tcp$/);
    await alice.unregister();
    const flows = new Set(registrar.requests.map((r) => r.source.flowId));
    expect(registrar.requests).toHaveLength(4);
    expect(flows.size).toBe(1);
    expect([...flows][0]).toBeDefined();
  });
});
