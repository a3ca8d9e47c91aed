// SIP, SIPS (RFC 3261 §19.1) and tel (RFC 3966) URIs; other absolute URIs are kept opaque.
import { SipParseError } from './errors.js';
import { Params, parseParams } from './params.js';
import { rememberAnswers } from './text-memo.js';

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Params;
  /** URI headers after `?`, in order, still %-encoded. */
  headers: Array<[string, string]>;
}

export interface TelUri {
  scheme: 'tel';
  number: string;
  params: Params;
}

/** Any other absolute URI (`urn:`, `mailto:`, `msrp:`...): kept as written. */
export interface OpaqueUri {
  scheme: string;
  raw: string;
}

export type Uri = SipUri | TelUri | OpaqueUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === 'tel';
}

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const HOSTNAME_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;
const IPV4_RE = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6_RE = /^\[[0-9A-Fa-f:.]+\]$/;
// RFC 3261 §25.1 user / password characters: unreserved, escaped, user-unreserved.
const USER_RE = /^([A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^([A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;

export function isValidHost(host: string): boolean {
  if (IPV6_RE.test(host)) return true;
  if (IPV4_RE.test(host)) return host.split('.').every((o) => Number(o) <= 255);
  return HOSTNAME_RE.test(host);
}

/** Parse a URI. Throws SipParseError('uri') on malformed SIP/SIPS/tel URIs. */
export function parseUri(text: string): Uri {
  const s = text.trim();
  const m = SCHEME_RE.exec(s);
  if (!m) throw new SipParseError('uri', `no URI scheme in ${JSON.stringify(s)}`);
  const scheme = m[1]!.toLowerCase();
  const rest = s.slice(m[0].length);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest, s);
  if (scheme === 'tel') return parseTelUri(rest, s);
  if (!rest || /[\s<>"]/.test(rest)) throw new SipParseError('uri', `malformed URI ${JSON.stringify(s)}`);
  return { scheme, raw: s };
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string, whole: string): SipUri {
  if (/[\s<>"]/.test(rest)) throw new SipParseError('uri', `illegal character in ${JSON.stringify(whole)}`);
  let hostStart = 0;
  let user: string | undefined;
  let password: string | undefined;
  // userinfo may contain ';' (RFC 3261 §25.1 user-unreserved) but '@' never appears in params or headers.
  const question = rest.indexOf('?');
  const at = rest.lastIndexOf('@', question >= 0 ? question : rest.length);
  if (at >= 0 && (question < 0 || at < question)) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (!user || !USER_RE.test(user))
      throw new SipParseError('uri', `bad user part in ${JSON.stringify(whole)}`);
    if (password !== undefined && !PASSWORD_RE.test(password))
      throw new SipParseError('uri', `bad password in ${JSON.stringify(whole)}`);
    hostStart = at + 1;
  }
  const hostEnd = firstOf(rest, ';?', hostStart) ?? rest.length;
  const hostport = rest.slice(hostStart, hostEnd);
  const { host, port } = parseHostPort(hostport, whole);
  let i = hostEnd;
  let params = new Params();
  if (rest[i] === ';') {
    const q = rest.indexOf('?', i);
    const paramText = q >= 0 ? rest.slice(i, q) : rest.slice(i);
    params = parseParams(paramText, 0).params;
    i = q >= 0 ? q : rest.length;
  }
  const headers: Array<[string, string]> = [];
  if (rest[i] === '?') {
    for (const pair of rest.slice(i + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new SipParseError('uri', `bad URI header in ${JSON.stringify(whole)}`);
      headers.push([pair.slice(0, eq), pair.slice(eq + 1)]);
    }
  }
  const uri: SipUri = { scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

function firstOf(s: string, chars: string, from = 0): number | undefined {
  for (let i = from; i < s.length; i++) if (chars.includes(s[i]!)) return i;
  return undefined;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`. Throws SipParseError('uri'). */
export function parseHostPort(hostport: string, context = hostport): { host: string; port?: number } {
  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0)
      throw new SipParseError('uri', `unterminated IPv6 reference in ${JSON.stringify(context)}`);
    host = hostport.slice(0, close + 1);
    const after = hostport.slice(close + 1);
    if (after) {
      if (!after.startsWith(':')) throw new SipParseError('uri', `bad host in ${JSON.stringify(context)}`);
      portText = after.slice(1);
    }
  } else {
    const colon = hostport.indexOf(':');
    host = colon >= 0 ? hostport.slice(0, colon) : hostport;
    if (colon >= 0) portText = hostport.slice(colon + 1);
  }
  if (!host || !isValidHost(host)) throw new SipParseError('uri', `bad host in ${JSON.stringify(context)}`);
  if (portText === undefined) return { host };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new SipParseError('uri', `bad port in ${JSON.stringify(context)}`);
  return { host, port: Number(portText) };
}

function parseTelUri(rest: string, whole: string): TelUri {
  const semi = rest.indexOf(';');
  const number = semi >= 0 ? rest.slice(0, semi) : rest;
  // RFC 3966 §3: global numbers start with '+'; local ones carry phone-context (not enforced here).
  if (!/^\+?[0-9A-Fa-f*#().-]+$/.test(number) || !/[0-9]/.test(number))
    throw new SipParseError('uri', `bad tel number in ${JSON.stringify(whole)}`);
  const params = semi >= 0 ? parseParams(rest, semi).params : new Params();
  return { scheme: 'tel', number, params };
}

export function formatUri(uri: Uri): string {
  if (isSipUri(uri)) {
    let out = uri.scheme + ':';
    if (uri.user !== undefined) {
      out += uri.user;
      if (uri.password !== undefined) out += ':' + uri.password;
      out += '@';
    }
    out += uri.host;
    if (uri.port !== undefined) out += ':' + uri.port;
    out += uri.params.toString();
    if (uri.headers.length) out += '?' + uri.headers.map(([k, v]) => `${k}=${v}`).join('&');
    return out;
  }
  if (isTelUri(uri)) return 'tel:' + uri.number + uri.params.toString();
  return uri.raw;
}

export function cloneUri(uri: Uri): Uri {
  if (isSipUri(uri))
    return { ...uri, params: uri.params.clone(), headers: uri.headers.map(([k, v]) => [k, v]) };
  if (isTelUri(uri)) return { ...uri, params: uri.params.clone() };
  return { ...uri };
}

/** `sip:user@host` with no port, parameters or headers: the address-of-record form used as a key. */
export function aorOf(uri: Uri): string {
  if (isSipUri(uri)) {
    const user = uri.user === undefined ? '' : decodeURIComponent(uri.user) + '@';
    return `${uri.scheme}:${user}${uri.host.toLowerCase()}`;
  }
  if (isTelUri(uri)) return 'tel:' + uri.number.replace(/[-.()]/g, '');
  return uri.raw;
}

/**
 * `aorOf(parseUri(text))`, remembered for texts of up to 256 characters (4,096 of them): the same few addresses
 * recur in every message. Throws SipParseError('uri') like parseUri.
 */
export const aorOfText: (text: string) => string = rememberAnswers(
  (text) => aorOf(parseUri(text)),
  4096,
  256,
);

/**
 * URI equality per RFC 3261 §19.1.4 for SIP/SIPS (simplified: user, host, port, transport, user,
 * method, maddr, ttl parameters compared; other parameters compared only when present in both).
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (isSipUri(a) && isSipUri(b)) {
    if (a.scheme !== b.scheme) return false;
    if ((a.user ?? '') !== (b.user ?? '')) {
      if (decodeURIComponent(a.user ?? '') !== decodeURIComponent(b.user ?? '')) return false;
    }
    if (a.host.toLowerCase() !== b.host.toLowerCase()) return false;
    if (a.port !== b.port) return false;
    for (const name of ['transport', 'user', 'method', 'maddr', 'ttl']) {
      const va = a.params.get(name);
      const vb = b.params.get(name);
      if ((va ?? undefined)?.toLowerCase() !== (vb ?? undefined)?.toLowerCase()) return false;
    }
    for (const p of a.params.list) {
      const other = b.params.get(p.name);
      if (other !== undefined && (other ?? '').toLowerCase() !== (p.value ?? '').toLowerCase()) return false;
    }
    return true;
  }
  if (isTelUri(a) && isTelUri(b)) return aorOf(a) === aorOf(b);
  return formatUri(a) === formatUri(b);
}
