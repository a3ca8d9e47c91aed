import { describe, expect, it } from 'vitest';
import { type SipRequest, SipResponse } from '../message.js';
import { parseMessage } from '../parser.js';
import { isSipUri, type Uri } from '../uri.js';
import { nextHopUri, prepareForward, preprocessRoute, validateProxiedRequest } from './request-processing.js';
import { chooseBestResponse } from './response-context.js';

const invite = (extra: string[] = [], uri = 'sip:bob@ims.lab'): SipRequest =>
  parseMessage(
    Buffer.from(
      [
        `INVITE ${uri} SIP/2.0`,
        'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKa1',
        'From: <sip:alice@ims.lab>;tag=1',
        'To: <sip:bob@ims.lab>',
        'Call-ID: p1',
        'CSeq: 1 INVITE',
        ...extra,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;

const ours = (uri: Uri): boolean => isSipUri(uri) && uri.host === '127.0.0.1' && uri.port === 5060;

describe('RFC 3261 §16.3 request validation', () => {
  it('Max-Forwards 0 → 483 Too Many Hops', () => {
    expect(validateProxiedRequest(invite(['Max-Forwards: 0']))).toEqual({ status: 483 });
  });
  it('malformed Max-Forwards → 400', () => {
    expect(validateProxiedRequest(invite(['Max-Forwards: lots']))?.status).toBe(400);
  });
  it('unsupported URI scheme → 416', () => {
    expect(validateProxiedRequest(invite([], 'mailto:bob@ims.lab'))).toEqual({ status: 416 });
  });
  it('a valid request passes', () =>
    expect(validateProxiedRequest(invite(['Max-Forwards: 70']))).toBeUndefined());
});

describe('RFC 3261 §16.4 route preprocessing', () => {
  it('removes a top Route that designates this proxy (loose routing)', () => {
    const r = invite(['Route: <sip:127.0.0.1:5060;lr>, <sip:127.0.0.1:5070;lr>']);
    preprocessRoute(r, ours);
    expect(r.getAll('route')).toEqual(['<sip:127.0.0.1:5070;lr>']);
    expect(r.uri).toBe('sip:bob@ims.lab');
  });
  it('restores the Request-URI from the last Route when a strict router sent us our Record-Route URI', () => {
    const r = invite(['Route: <sip:bob@127.0.0.1:5064>'], 'sip:127.0.0.1:5060;lr');
    preprocessRoute(r, ours);
    expect(r.uri).toBe('sip:bob@127.0.0.1:5064');
    expect(r.has('route')).toBe(false);
  });
  it('leaves foreign Routes alone', () => {
    const r = invite(['Route: <sip:10.9.9.9;lr>']);
    preprocessRoute(r, ours);
    expect(r.getAll('route')).toEqual(['<sip:10.9.9.9;lr>']);
  });
});

describe('RFC 3261 §16.6 request forwarding', () => {
  it('copies, retargets, decrements Max-Forwards, adds Record-Route and a Via with a new branch', () => {
    const original = invite(['Max-Forwards: 70']);
    const fwd = prepareForward(original, {
      target: 'sip:bob@127.0.0.1:5064;transport=tcp',
      via: { transport: 'tcp', host: '127.0.0.1', port: 5060 },
      recordRoute: 'sip:127.0.0.1:5060;transport=tcp;lr',
    });
    expect(fwd.uri).toBe('sip:bob@127.0.0.1:5064;transport=tcp');
    expect(fwd.get('max-forwards')).toBe('69');
    expect(fwd.get('record-route')).toBe('<sip:127.0.0.1:5060;transport=tcp;lr>');
    expect(fwd.vias).toHaveLength(2);
    expect(fwd.topVia).toMatchObject({ transport: 'TCP', host: '127.0.0.1', port: 5060 });
    expect(fwd.topVia.params.get('branch')).toMatch(/^z9hG4bK/);
    // §16.6 step 1: the original is untouched.
    expect(original.uri).toBe('sip:bob@ims.lab');
    expect(original.vias).toHaveLength(1);
  });
  it('adds Max-Forwards: 70 when absent (§16.6 step 3)', () => {
    expect(
      prepareForward(invite(), { via: { transport: 'udp', host: 'h', port: 1 } }).get('max-forwards'),
    ).toBe('70');
  });
  it('§16.6 steps 6–7: next hop is the top loose Route, else the Request-URI', () => {
    expect(nextHopUri(invite(['Route: <sip:127.0.0.1:5070;lr>']))).toMatchObject({
      host: '127.0.0.1',
      port: 5070,
    });
    expect(nextHopUri(invite())).toMatchObject({ user: 'bob', host: 'ims.lab' });
  });
});

describe('RFC 3261 §16.7 response selection', () => {
  const r = (status: number) => new SipResponse(status, 'x');
  it('6xx beats everything, 401/407 beat other 4xx, lowest class otherwise', () => {
    expect(chooseBestResponse([r(486), r(603), r(404)])?.status).toBe(603);
    expect(chooseBestResponse([r(486), r(407), r(500)])?.status).toBe(407);
    expect(chooseBestResponse([r(500), r(486), r(480)])?.status).toBe(480);
    expect(chooseBestResponse([r(302), r(486)])?.status).toBe(302);
    expect(chooseBestResponse([])).toBeUndefined();
  });
  it('a 503 is forwarded as 500', () => {
    expect(chooseBestResponse([r(503)])?.status).toBe(500);
  });
});
