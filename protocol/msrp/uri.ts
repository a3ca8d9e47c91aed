// MSRP URIs (RFC 4975 §9): msrp[s]://[userinfo@]host[:port][/session-id];transport[;param]*.
import { takeRandomBytes } from '../random/index.js';
import { MsrpUriError } from './errors.js';

export type MsrpScheme = 'msrp' | 'msrps';

export interface MsrpUri {
  scheme: MsrpScheme;
  userinfo?: string;
  /** As written; IPv6 references keep their brackets. */
  host: string;
  port?: number;
  /** RFC 4975 §9: optional (relays), always present on an endpoint's own URI. */
  sessionId?: string;
  transport: string;
  /** Further `;name[=value]` parameters, as written. */
  params: string[];
}

/** RFC 4975 §6: the port used when a URI gives none. */
export const MSRP_DEFAULT_PORT = 2855;

const URI_RE =
  /^(msrps?):\/\/(?:([^@/;\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:\/([^;\s]*))?;(.*)$/i;
// RFC 4975 §9: session-id = 1*( unreserved / "+" / "=" / "/" ); unreserved allows %-escapes in practice.
const SESSION_ID_RE = /^([A-Za-z0-9\-._~+=/]|%[0-9A-Fa-f]{2})+$/;
const TRANSPORT_RE = /^[A-Za-z0-9]+$/;
const PARAM_RE = /^[A-Za-z0-9\-.!%*_+`'~]+(=[^;\s]*)?$/;

/** Parse one MSRP URI. Throws MsrpUriError. */
export function parseMsrpUri(text: string): MsrpUri {
  const m = URI_RE.exec(text.trim());
  if (!m) {
    if (!/^msrps?:\/\//i.test(text.trim()))
      throw new MsrpUriError('scheme', `not an MSRP URI: ${JSON.stringify(text)}`);
    throw new MsrpUriError('syntax', `malformed MSRP URI: ${JSON.stringify(text)}`);
  }
  const [, scheme, userinfo, host, portText, sessionId, tail] = m;
  const uri: MsrpUri = {
    scheme: scheme!.toLowerCase() as MsrpScheme,
    host: host!,
    transport: '',
    params: [],
  };
  if (userinfo !== undefined) uri.userinfo = userinfo;
  if (portText !== undefined) {
    const port = Number(portText);
    if (port > 65535) throw new MsrpUriError('authority', `bad port in ${JSON.stringify(text)}`);
    uri.port = port;
  }
  if (sessionId !== undefined) {
    if (!SESSION_ID_RE.test(sessionId))
      throw new MsrpUriError('session-id', `bad session-id in ${JSON.stringify(text)}`);
    uri.sessionId = sessionId;
  }
  const parts = tail!.split(';');
  const transport = parts.shift()!;
  if (!TRANSPORT_RE.test(transport))
    throw new MsrpUriError('transport', `bad transport in ${JSON.stringify(text)}`);
  uri.transport = transport;
  for (const p of parts) {
    if (!PARAM_RE.test(p)) throw new MsrpUriError('syntax', `bad URI parameter in ${JSON.stringify(text)}`);
    uri.params.push(p);
  }
  return uri;
}

/** Parse a To-Path / From-Path value: one or more URIs separated by whitespace (RFC 4975 §8.1). */
export function parseMsrpPath(value: string): MsrpUri[] {
  const parts = value.trim().split(/\s+/);
  if (parts.length === 1 && parts[0] === '') throw new MsrpUriError('syntax', 'empty MSRP path');
  return parts.map(parseMsrpUri);
}

export function formatMsrpUri(uri: MsrpUri): string {
  let out = `${uri.scheme}://`;
  if (uri.userinfo !== undefined) out += `${uri.userinfo}@`;
  out += uri.host;
  if (uri.port !== undefined) out += `:${uri.port}`;
  if (uri.sessionId !== undefined) out += `/${uri.sessionId}`;
  out += `;${uri.transport}`;
  for (const p of uri.params) out += `;${p}`;
  return out;
}

export function formatMsrpPath(path: readonly MsrpUri[]): string {
  return path.map(formatMsrpUri).join(' ');
}

/**
 * RFC 4975 §6.1 URI comparison: scheme, host and transport case-insensitively, port (default 2855),
 * session-id case-sensitively; userinfo and parameters are ignored.
 */
export function msrpUriEquals(a: MsrpUri, b: MsrpUri): boolean {
  return (
    a.scheme === b.scheme &&
    a.host.toLowerCase() === b.host.toLowerCase() &&
    (a.port ?? MSRP_DEFAULT_PORT) === (b.port ?? MSRP_DEFAULT_PORT) &&
    a.sessionId === b.sessionId &&
    a.transport.toLowerCase() === b.transport.toLowerCase()
  );
}

export function msrpPathEquals(a: readonly MsrpUri[], b: readonly MsrpUri[]): boolean {
  return a.length === b.length && a.every((u, i) => msrpUriEquals(u, b[i]!));
}

/** RFC 4975 §14.1: a session-id with at least 80 bits of randomness (here 120, base64url). */
export function newSessionId(): string {
  return takeRandomBytes(15).toString('base64url');
}

/** An endpoint's own URI for a new session: `msrp://host:port/<random session-id>;tcp`. */
export function localSessionUri(host: string, port: number, sessionId = newSessionId()): MsrpUri {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return { scheme: 'msrp', host: h, port, sessionId, transport: 'tcp', params: [] };
}
