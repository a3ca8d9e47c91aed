import { afterEach, describe, expect, it } from 'vitest';
import type { SipRequest } from '../index.js';
import { startUa, uriOf } from '../test-support/ua.js';
import type { TransportKind } from '../transport/index.js';
import { SipRequestError } from './errors.js';
import type { UserAgent } from './user-agent.js';

const agents: UserAgent[] = [];
async function ua(user: string, options: Parameters<typeof startUa>[1] = {}): Promise<UserAgent> {
  const agent = await startUa(user, options);
  agents.push(agent);
  return agent;
}
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

describe.each<TransportKind>(['udp', 'tcp'])('RFC 3428 pager-mode MESSAGE over %s', (transport) => {
  it('§4/§7: MESSAGE carries its body and Content-Type; the handler answers 200', async () => {
    const alice = await ua('alice', { defaultTransport: transport });
    const bob = await ua('bob');
    const received = new Promise<SipRequest>((resolve) => {
      bob.on('MESSAGE', async (req, res) => {
        await res.send(200);
        resolve(req);
      });
    });
    const body = 'From: <sip:alice@ims.lab>\r\n\r\nContent-Type: text/plain\r\n\r\nhello';
    const ok = await alice.message(uriOf(bob, 'bob', transport), body, { contentType: 'message/cpim' });
    expect(ok.status).toBe(200);
    const req = await received;
    expect(req.body.toString()).toBe(body);
    expect(req.mediaType).toBe('message/cpim');
    expect(req.fromTag).toBeDefined();
    expect(req.from.uri).toMatchObject({ user: 'alice', host: 'ims.lab' });
  });
});

describe('RFC 3261 §8.2 UAS request processing', () => {
  it('§8.2.1: a method without handler gets 405 with Allow', async () => {
    const alice = await ua('alice');
    const bob = await ua('bob');
    bob.on('MESSAGE', (_req, res) => void res.send(200));
    const error = await alice.request('PUBLISH', uriOf(bob, 'bob', 'udp')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipRequestError);
    expect((error as SipRequestError).status).toBe(405);
    const allow = (error as SipRequestError).response.get('allow') ?? '';
    expect(allow.split(/\s*,\s*/)).toEqual(expect.arrayContaining(['MESSAGE', 'ACK', 'BYE', 'CANCEL']));
    expect(allow).not.toContain('PUBLISH');
  });

  it('§8.2.2.3: an unsupported option tag in Require gets 420 with Unsupported', async () => {
    const alice = await ua('alice');
    const bob = await ua('bob', { supported: ['timer'] });
    bob.on('MESSAGE', (_req, res) => void res.send(200));
    const error = await alice
      .message(uriOf(bob, 'bob', 'udp'), 'x', { headers: [['Require', 'timer, 100rel']] })
      .catch((e: unknown) => e);
    expect((error as SipRequestError).status).toBe(420);
    expect((error as SipRequestError).response.get('unsupported')).toBe('100rel');
  });

  it('a handler that throws gets its request answered 500 and the error reported, never past the socket', async () => {
    const alice = await ua('alice');
    const bob = await ua('bob');
    const reported = new Promise<unknown>((resolve) => bob.onError(resolve));
    bob.on('MESSAGE', () => {
      throw new Error('handler bug');
    });
    const error = await alice.message(uriOf(bob, 'bob', 'udp'), 'x').catch((e: unknown) => e);
    expect((error as SipRequestError).status).toBe(500);
    expect(((await reported) as Error).message).toBe('handler bug');
  });

  it('§8.1.3.1: no answer → the UAC call rejects with a local 408 (timeout)', async () => {
    const alice = await ua('alice');
    const bob = await ua('bob');
    bob.on('MESSAGE', () => {}); // never answers
    const error = await alice.message(uriOf(bob, 'bob', 'udp'), 'x').catch((e: unknown) => e);
    expect((error as SipRequestError).status).toBe(408);
    expect((error as SipRequestError).localFailure).toBe('timeout');
  });
});
