import { describe, expect, it } from 'vitest';
import { SdpParseError } from './errors.js';
import { buildMsrpSdp, type MsrpMediaDescription, parseMsrpSdp } from './msrp-sdp.js';
import {
  answerDirection,
  answerSetup,
  buildMsrpAnswer,
  connectingSide,
  isAcceptableAnswerDirection,
  isAcceptableAnswerSetup,
} from './offer-answer.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SdpParseError) return err.code;
    throw err;
  }
  return undefined;
}

// protocol-notes §4: the PF's offer for deferred delivery.
const OFFER: MsrpMediaDescription = {
  address: '127.0.0.1',
  port: 7001,
  transport: 'TCP/MSRP',
  path: ['msrp://127.0.0.1:7001/pf8s7d6f;tcp'],
  setup: 'actpass',
  acceptTypes: ['message/cpim', 'application/group-state-object+xml'],
  acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
  maxSize: 1048576,
  direction: 'sendonly',
};

const sdp = (media: string, session = 'c=IN IP4 127.0.0.1\r\n'): string =>
  `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n${session}t=0 0\r\n${media}`;

describe('MSRP SDP (RFC 4975 §8)', () => {
  it('protocol-notes §4: the deferred-delivery offer builds and parses back', () => {
    const text = buildMsrpSdp(OFFER, { sessionId: '123', username: 'pf' });
    expect(text).toContain('m=message 7001 TCP/MSRP *\r\n');
    expect(text).toContain('a=path:msrp://127.0.0.1:7001/pf8s7d6f;tcp\r\n');
    expect(text).toContain('a=setup:actpass\r\n');
    expect(text).toContain('a=sendonly\r\n');
    expect(text).toContain('a=accept-types:message/cpim application/group-state-object+xml\r\n');
    expect(text).toContain('a=accept-wrapped-types:text/plain message/imdn+xml\r\n');
    expect(text).toContain('o=pf 123 1 IN IP4 127.0.0.1\r\n');
    expect(parseMsrpSdp(text)).toEqual(OFFER);
    expect(parseMsrpSdp(Buffer.from(text))).toEqual(OFFER);
  });

  it('RFC 3264 §6.1 + RFC 6135 §4.2: the client answer is recvonly / active and round-trips', () => {
    const answer = buildMsrpAnswer(OFFER, {
      address: '127.0.0.1',
      port: 9,
      transport: 'TCP/MSRP',
      path: ['msrp://127.0.0.1:40000/cl1ent;tcp'],
      acceptTypes: ['message/cpim', 'application/group-state-object+xml'],
      acceptWrappedTypes: ['text/plain', 'message/imdn+xml'],
    });
    expect(answer.direction).toBe('recvonly');
    expect(answer.setup).toBe('active');
    const parsed = parseMsrpSdp(buildMsrpSdp(answer));
    expect(parsed).toEqual(answer);
    expect(isAcceptableAnswerDirection(OFFER.direction, parsed.direction)).toBe(true);
    expect(isAcceptableAnswerSetup(OFFER.setup, parsed.setup)).toBe(true);
    expect(connectingSide(parsed.setup)).toBe('answerer');
  });

  it.each([
    ['sendonly', 'recvonly'],
    ['recvonly', 'sendonly'],
    ['sendrecv', 'sendrecv'],
    ['inactive', 'inactive'],
  ] as const)('RFC 3264 §6.1: %s offer is answered %s', (offer, answer) => {
    expect(answerDirection(offer)).toBe(answer);
    expect(isAcceptableAnswerDirection(offer, answer)).toBe(true);
  });

  it.each([
    ['actpass', 'active'],
    ['active', 'passive'],
    ['passive', 'active'],
    [undefined, 'passive'],
  ] as const)('RFC 4145 §4.1: setup %s is answered %s', (offer, answer) => {
    expect(answerSetup(offer)).toBe(answer);
    expect(isAcceptableAnswerSetup(offer, answer)).toBe(true);
  });

  it('RFC 4145 §4.1: incompatible setup answers are rejected', () => {
    expect(isAcceptableAnswerSetup('active', 'active')).toBe(false);
    expect(isAcceptableAnswerSetup('passive', 'passive')).toBe(false);
    expect(isAcceptableAnswerSetup('actpass', 'actpass')).toBe(false);
    expect(connectingSide('passive')).toBe('offerer');
  });

  it('protocol-notes §4: a sendrecv answer to a sendonly offer is tolerated; others per RFC 3264 §6.1', () => {
    expect(isAcceptableAnswerDirection('sendonly', 'sendrecv')).toBe(true);
    expect(isAcceptableAnswerDirection('sendonly', 'sendonly')).toBe(false);
    expect(isAcceptableAnswerDirection('recvonly', 'sendrecv')).toBe(false);
    expect(isAcceptableAnswerDirection('inactive', 'sendrecv')).toBe(false);
    expect(isAcceptableAnswerDirection('sendrecv', 'recvonly')).toBe(true);
  });

  it('RFC 3264 §5.1: direction defaults to sendrecv; session-level direction, setup and c= apply', () => {
    const m = 'm=message 9 TCP/MSRP *\r\na=path:msrp://h:1/s;tcp\r\na=accept-types:*\r\n';
    const d = parseMsrpSdp(sdp(m));
    expect(d.direction).toBe('sendrecv');
    expect(d.setup).toBeUndefined();
    expect(d.acceptWrappedTypes).toEqual([]);
    const s = parseMsrpSdp(sdp(m, 'c=IN IP6 ::1\r\na=recvonly\r\na=setup:passive\r\n'));
    expect([s.address, s.direction, s.setup]).toEqual(['::1', 'recvonly', 'passive']);
    const tls = parseMsrpSdp(sdp(m.replace('TCP/MSRP', 'TCP/TLS/MSRP').replace('msrp://', 'msrps://')));
    expect(tls.transport).toBe('TCP/TLS/MSRP');
  });

  it('RFC 4975 §8: malformed SDP and missing m=message are typed errors', () => {
    const ok = 'm=message 9 TCP/MSRP *\r\na=path:msrp://h:1/s;tcp\r\na=accept-types:message/cpim\r\n';
    expect(code(() => parseMsrpSdp(''))).toBe('malformed');
    expect(code(() => parseMsrpSdp('hello'))).toBe('malformed');
    expect(code(() => parseMsrpSdp(sdp(ok) + 'garbage line\r\n'))).toBe('malformed');
    expect(code(() => parseMsrpSdp(sdp(ok).replace('o=- 1 1 IN IP4 127.0.0.1', 'o=broken')))).toBe(
      'malformed',
    );
    expect(code(() => parseMsrpSdp(sdp(ok, '')))).toBe('malformed');
    expect(code(() => parseMsrpSdp(sdp('m=audio 4000 RTP/AVP 0\r\n')))).toBe('no-msrp-media');
    expect(code(() => parseMsrpSdp(sdp(ok.replace('a=path:msrp://h:1/s;tcp\r\n', ''))))).toBe(
      'missing-attribute',
    );
    expect(code(() => parseMsrpSdp(sdp(ok.replace('a=accept-types:message/cpim\r\n', ''))))).toBe(
      'missing-attribute',
    );
    expect(code(() => parseMsrpSdp(sdp(ok.replace('msrp://h:1/s;tcp', 'http://x'))))).toBe('bad-attribute');
    expect(code(() => parseMsrpSdp(sdp(ok + 'a=setup:holdconn\r\n')))).toBe('bad-attribute');
    expect(code(() => parseMsrpSdp(sdp(ok + 'a=max-size:lots\r\n')))).toBe('bad-attribute');
    expect(code(() => parseMsrpSdp(sdp(ok.replace('message/cpim', 'cpim'))))).toBe('bad-attribute');
    expect(code(() => parseMsrpSdp(sdp(ok.replace('m=message 9', 'm=message 99999'))))).toBe('malformed');
    expect(code(() => buildMsrpSdp({ ...OFFER, path: [] }))).toBe('missing-attribute');
  });

  it('oversize SDP is refused', () => {
    expect(code(() => parseMsrpSdp(buildMsrpSdp(OFFER), 100))).toBe('too-large');
  });
});
