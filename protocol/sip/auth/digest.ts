// HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 2617 §3.2, MD5 with qop=auth).
// UAC: answer a 401/407 challenge. UAS: issue stateless, HMAC-signed nonces and verify credentials.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { splitHeaderList } from '../header-names.js';
import { readQuoted } from '../params.js';

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: string;
  /** qop options offered by the server (`auth`, `auth-int`); empty for RFC 2069 style. */
  qop: string[];
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm?: string;
  opaque?: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}

export class DigestError extends Error {
  override readonly name = 'DigestError';
}

/** Parse `Digest a=b, c="d"` (auth-param list, RFC 2617 §1.2) into a lower-case-keyed map. */
export function parseAuthParams(value: string): { scheme: string; params: Map<string, string> } {
  const text = value.trim();
  const sp = text.search(/\s/);
  if (sp <= 0) throw new DigestError(`no auth scheme in ${JSON.stringify(value)}`);
  const scheme = text.slice(0, sp);
  const params = new Map<string, string>();
  for (const item of splitHeaderList(text.slice(sp + 1))) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new DigestError(`bad auth-param ${JSON.stringify(item)}`);
    const name = item.slice(0, eq).trim().toLowerCase();
    const raw = item.slice(eq + 1).trim();
    let v: string;
    try {
      v = raw.startsWith('"') ? readQuoted(raw, 0).value : raw;
    } catch {
      throw new DigestError(`unterminated quoted value for ${name}`);
    }
    params.set(name, v);
  }
  return { scheme, params };
}

/** Read a WWW-Authenticate / Proxy-Authenticate header value (RFC 2617 §3.2.1). */
export function parseChallenge(value: string): DigestChallenge {
  const { scheme, params } = parseAuthParams(value);
  if (scheme.toLowerCase() !== 'digest') throw new DigestError(`unsupported auth scheme ${scheme}`);
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) throw new DigestError('challenge lacks realm or nonce');
  const challenge: DigestChallenge = {
    realm,
    nonce,
    algorithm: params.get('algorithm') ?? 'MD5',
    qop: (params.get('qop') ?? '')
      .split(',')
      .map((q) => q.trim())
      .filter(Boolean),
    stale: (params.get('stale') ?? '').toLowerCase() === 'true',
  };
  const opaque = params.get('opaque');
  if (opaque !== undefined) challenge.opaque = opaque;
  return challenge;
}

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** RFC 2617 §3.2.2.1 request-digest for algorithm MD5, qop absent or `auth`. */
export function digestResponse(args: {
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha1 = md5(`${args.username}:${args.realm}:${args.password}`);
  const ha2 = md5(`${args.method}:${args.uri}`);
  if (args.qop === 'auth') return md5(`${ha1}:${args.nonce}:${args.nc}:${args.cnonce}:auth:${ha2}`);
  return md5(`${ha1}:${args.nonce}:${ha2}`);
}

/** UAC: the Authorization / Proxy-Authorization value answering `challenge` (RFC 3261 §22.2, §22.3). */
export function buildAuthorization(args: {
  challenge: DigestChallenge;
  username: string;
  password: string;
  method: string;
  uri: string;
  /** Nonce count for this nonce, starting at 1. */
  nonceCount?: number;
  cnonce?: string;
}): string {
  const { challenge } = args;
  if (challenge.algorithm.toUpperCase() !== 'MD5') {
    throw new DigestError(`unsupported digest algorithm ${challenge.algorithm}`);
  }
  if (challenge.qop.length && !challenge.qop.includes('auth')) {
    throw new DigestError(`unsupported qop ${challenge.qop.join(',')}`);
  }
  const qop = challenge.qop.includes('auth') ? 'auth' : undefined;
  const nc = (args.nonceCount ?? 1).toString(16).padStart(8, '0');
  const cnonce = args.cnonce ?? randomBytes(8).toString('hex');
  const response = digestResponse({
    username: args.username,
    realm: challenge.realm,
    password: args.password,
    method: args.method,
    uri: args.uri,
    nonce: challenge.nonce,
    ...(qop ? { qop, nc, cnonce } : {}),
  });
  let out =
    `Digest username="${args.username}", realm="${challenge.realm}", nonce="${challenge.nonce}", ` +
    `uri="${args.uri}", response="${response}", algorithm=MD5`;
  if (challenge.opaque !== undefined) out += `, opaque="${challenge.opaque}"`;
  if (qop) out += `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"`;
  return out;
}

export function parseCredentials(value: string): DigestCredentials {
  const { scheme, params } = parseAuthParams(value);
  if (scheme.toLowerCase() !== 'digest') throw new DigestError(`unsupported auth scheme ${scheme}`);
  const get = (name: string): string => {
    const v = params.get(name);
    if (v === undefined) throw new DigestError(`credentials lack ${name}`);
    return v;
  };
  const creds: DigestCredentials = {
    username: get('username'),
    realm: get('realm'),
    nonce: get('nonce'),
    uri: get('uri'),
    response: get('response'),
  };
  for (const key of ['algorithm', 'opaque', 'qop', 'nc', 'cnonce'] as const) {
    const v = params.get(key);
    if (v !== undefined) creds[key] = v;
  }
  return creds;
}

export type DigestVerdict =
  | { ok: true; username: string }
  | { ok: false; reason: 'malformed' | 'realm' | 'unknown-user' | 'bad-nonce' | 'stale' | 'bad-response' };

/**
 * UAS side: stateless nonces `<timestamp>.<hmac>` signed with a per-server secret, valid for
 * `nonceLifetimeMs`; an expired but authentic nonce is reported `stale` (challenge again, stale=true).
 */
export class DigestServer {
  readonly realm: string;
  readonly #secret: Buffer;
  readonly #lifetimeMs: number;
  readonly #now: () => number;

  constructor(options: { realm: string; nonceLifetimeMs?: number; now?: () => number }) {
    this.realm = options.realm;
    this.#secret = randomBytes(32);
    this.#lifetimeMs = options.nonceLifetimeMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  #sign(stamp: string): string {
    return createHmac('sha256', this.#secret).update(stamp).digest('hex').slice(0, 32);
  }

  newNonce(): string {
    const stamp = this.#now().toString(16);
    return `${stamp}.${this.#sign(stamp)}`;
  }

  /** A WWW-Authenticate (or Proxy-Authenticate) value (RFC 3261 §22.1). */
  challenge(stale = false): string {
    return `Digest realm="${this.realm}", nonce="${this.newNonce()}", algorithm=MD5, qop="auth"${stale ? ', stale=true' : ''}`;
  }

  verify(
    authorization: string,
    method: string,
    passwordOf: (username: string) => string | undefined,
  ): DigestVerdict {
    let creds: DigestCredentials;
    try {
      creds = parseCredentials(authorization);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (creds.realm !== this.realm) return { ok: false, reason: 'realm' };
    const [stamp, sig] = creds.nonce.split('.');
    if (!stamp || !sig || !safeEqual(sig, this.#sign(stamp))) return { ok: false, reason: 'bad-nonce' };
    const password = passwordOf(creds.username);
    if (password === undefined) return { ok: false, reason: 'unknown-user' };
    if (creds.qop !== undefined && (creds.qop !== 'auth' || !creds.nc || !creds.cnonce)) {
      return { ok: false, reason: 'malformed' };
    }
    const expected = digestResponse({
      username: creds.username,
      realm: creds.realm,
      password,
      method,
      uri: creds.uri,
      nonce: creds.nonce,
      ...(creds.qop ? { qop: creds.qop, nc: creds.nc!, cnonce: creds.cnonce! } : {}),
    });
    if (!safeEqual(expected, creds.response.toLowerCase())) return { ok: false, reason: 'bad-response' };
    if (this.#now() - Number.parseInt(stamp, 16) > this.#lifetimeMs) return { ok: false, reason: 'stale' };
    return { ok: true, username: creds.username };
  }
}

function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
