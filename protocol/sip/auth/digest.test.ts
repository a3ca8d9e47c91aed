import { describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  DigestError,
  DigestServer,
  digestResponse,
  parseChallenge,
  parseCredentials,
} from './digest.js';

describe('RFC 2617 digest (MD5, qop=auth) as used by RFC 3261 §22', () => {
  it('RFC 2617 §3.5: the worked example gives the published response', () => {
    expect(
      digestResponse({
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 2617 §3.2.1: reads a challenge with quoted and token values', () => {
    const c = parseChallenge(
      'Digest realm="ims.lab", qop="auth,auth-int", nonce="abc", opaque="5ccc", algorithm=MD5, stale=TRUE',
    );
    expect(c).toEqual({
      realm: 'ims.lab',
      nonce: 'abc',
      opaque: '5ccc',
      algorithm: 'MD5',
      qop: ['auth', 'auth-int'],
      stale: true,
    });
  });

  it('rejects non-digest schemes and challenges without nonce', () => {
    expect(() => parseChallenge('Basic realm="x"')).toThrowError(DigestError);
    expect(() => parseChallenge('Digest realm="x"')).toThrowError(DigestError);
    expect(() => parseChallenge('Digest realm="x, nonce=1')).toThrowError(DigestError);
  });

  it('RFC 3261 §22.2: a UAC answer verifies at the UAS; wrong password and tampered nonce do not', () => {
    const server = new DigestServer({ realm: 'ims.lab' });
    const challenge = parseChallenge(server.challenge());
    const auth = buildAuthorization({
      challenge,
      username: 'alice',
      password: 'secret',
      method: 'REGISTER',
      uri: 'sip:ims.lab',
    });
    const creds = parseCredentials(auth);
    expect(creds).toMatchObject({
      username: 'alice',
      realm: 'ims.lab',
      uri: 'sip:ims.lab',
      qop: 'auth',
      nc: '00000001',
    });
    const passwords = (u: string) => ({ alice: 'secret' })[u];
    expect(server.verify(auth, 'REGISTER', passwords)).toEqual({ ok: true, username: 'alice' });
    expect(server.verify(auth, 'INVITE', passwords)).toEqual({ ok: false, reason: 'bad-response' });
    const wrong = buildAuthorization({
      challenge,
      username: 'alice',
      password: 'nope',
      method: 'REGISTER',
      uri: 'sip:ims.lab',
    });
    expect(server.verify(wrong, 'REGISTER', passwords)).toEqual({ ok: false, reason: 'bad-response' });
    expect(server.verify(auth.replace(/nonce="([0-9a-f]+)\./, 'nonce="ff.'), 'REGISTER', passwords)).toEqual({
      ok: false,
      reason: 'bad-nonce',
    });
    const bob = buildAuthorization({
      challenge,
      username: 'bob',
      password: 'x',
      method: 'REGISTER',
      uri: 'sip:ims.lab',
    });
    expect(server.verify(bob, 'REGISTER', passwords)).toEqual({ ok: false, reason: 'unknown-user' });
    expect(server.verify('Digest nonsense', 'REGISTER', passwords)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('an authentic but expired nonce is stale (re-challenge with stale=true)', () => {
    let now = 1_000_000;
    const server = new DigestServer({ realm: 'ims.lab', nonceLifetimeMs: 1000, now: () => now });
    const challenge = parseChallenge(server.challenge());
    const auth = buildAuthorization({
      challenge,
      username: 'alice',
      password: 's',
      method: 'REGISTER',
      uri: 'sip:ims.lab',
    });
    now += 5000;
    expect(server.verify(auth, 'REGISTER', () => 's')).toEqual({ ok: false, reason: 'stale' });
    expect(server.challenge(true)).toContain('stale=true');
  });

  it('RFC 2069 compatibility: a challenge without qop is answered without qop', () => {
    const auth = buildAuthorization({
      challenge: { realm: 'r', nonce: 'n', algorithm: 'MD5', qop: [], stale: false },
      username: 'u',
      password: 'p',
      method: 'INVITE',
      uri: 'sip:x@r',
    });
    expect(auth).not.toContain('qop=');
    expect(parseCredentials(auth).response).toBe(
      digestResponse({
        username: 'u',
        realm: 'r',
        password: 'p',
        method: 'INVITE',
        uri: 'sip:x@r',
        nonce: 'n',
      }),
    );
  });
});
