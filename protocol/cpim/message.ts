// message/cpim (RFC 3862 §2): message headers, a blank line, then the encapsulated MIME object (content
// headers, blank line, content). Works on Buffers; the content is never decoded.
import {
  formatHeaderBlock,
  getHeader,
  type HeaderField,
  parseDateTime,
  readHeaderBlock,
} from '../bodies/index.js';
import { type CpimAddress, formatCpimAddress, parseCpimAddress } from './address.js';
import { CpimParseError } from './errors.js';
import {
  CPIM_HEADERS_NS,
  type NsDeclaration,
  parseNs,
  resolveHeaderName,
  sameNamespace,
  formatNs,
} from './ns.js';

export const CPIM_CONTENT_TYPE = 'message/cpim';
export const DEFAULT_MAX_CPIM_BYTES = 4 * 1024 * 1024;

export interface CpimMessage {
  /** Message headers in wire order, names as written (`From`, `NS`, `imdn.Message-ID`...). */
  headers: HeaderField[];
  /** MIME headers of the encapsulated object (`Content-Type`, `Content-Disposition`, `Content-ID`...). */
  contentHeaders: HeaderField[];
  content: Buffer;
}

export interface CpimLimits {
  /** Largest accepted message/cpim body in bytes (default 4 MiB). */
  maxBytes?: number;
}

const ADDRESS_HEADERS = new Set(['from', 'to', 'cc']);

/** Parse a message/cpim body. Throws CpimParseError. */
export function parseCpim(input: Buffer, limits: CpimLimits = {}): CpimMessage {
  const max = limits.maxBytes ?? DEFAULT_MAX_CPIM_BYTES;
  if (input.length > max)
    throw new CpimParseError('too-large', `CPIM body of ${input.length} bytes exceeds ${max}`);
  let outer: ReturnType<typeof readHeaderBlock>;
  let inner: ReturnType<typeof readHeaderBlock>;
  try {
    outer = readHeaderBlock(input, 0);
    inner = readHeaderBlock(input, outer.bodyStart);
  } catch (err) {
    throw new CpimParseError('malformed', (err as Error).message);
  }
  const msg: CpimMessage = {
    headers: outer.headers,
    contentHeaders: inner.headers,
    content: Buffer.from(input.subarray(inner.bodyStart)),
  };
  validateHeaders(msg.headers);
  return msg;
}

// RFC 3862 §3.3: core header values must be well formed wherever they appear.
function validateHeaders(headers: readonly HeaderField[]): void {
  if (headers.length === 0) throw new CpimParseError('malformed', 'RFC 3862 §3: no message headers');
  const bindings = namespaceBindingsOf(headers);
  for (const h of headers) {
    const { ns, local } = resolveHeaderName(h.name, bindings);
    if (!sameNamespace(ns, CPIM_HEADERS_NS)) continue;
    const lower = local.toLowerCase();
    if (ADDRESS_HEADERS.has(lower)) parseCpimAddress(h.value);
    else if (lower === 'datetime') {
      try {
        parseDateTime(h.value);
      } catch {
        throw new CpimParseError('datetime', `RFC 3862 §3.3.6: bad DateTime ${JSON.stringify(h.value)}`);
      }
    }
  }
}

/** Serialise a CPIM message (CRLF line ends). Throws CpimParseError('header') on unsafe header text. */
export function serializeCpim(msg: CpimMessage): Buffer {
  try {
    return Buffer.concat([
      formatHeaderBlock(msg.headers),
      formatHeaderBlock(msg.contentHeaders),
      msg.content,
    ]);
  } catch (err) {
    throw new CpimParseError('header', (err as Error).message);
  }
}

function namespaceBindingsOf(headers: readonly HeaderField[]): Map<string, string> {
  const bindings = new Map<string, string>();
  for (const h of headers) {
    if (h.name.toLowerCase() !== 'ns') continue;
    const decl = parseNs(h.value);
    bindings.set(decl.prefix.toLowerCase(), decl.urn);
  }
  return bindings;
}

/** Prefix → URN for every NS header ('' for a default-namespace declaration). */
export function namespaceBindings(msg: CpimMessage): Map<string, string> {
  return namespaceBindingsOf(msg.headers);
}

/** Values of the headers that resolve to (`ns`, `local`) — RFC 3862 §3.4 — whatever prefix the sender chose. */
export function findHeaders(msg: CpimMessage, ns: string, local: string): string[] {
  const bindings = namespaceBindings(msg);
  const want = local.toLowerCase();
  return msg.headers
    .filter((h) => {
      const r = resolveHeaderName(h.name, bindings);
      return sameNamespace(r.ns, ns) && r.local.toLowerCase() === want;
    })
    .map((h) => h.value);
}

export function findHeader(msg: CpimMessage, ns: string, local: string): string | undefined {
  return findHeaders(msg, ns, local)[0];
}

/** A core header (RFC 3862 §3.3) by name. */
export function coreHeader(msg: CpimMessage, name: string): string | undefined {
  return findHeader(msg, CPIM_HEADERS_NS, name);
}

export function cpimFrom(msg: CpimMessage): CpimAddress | undefined {
  const v = coreHeader(msg, 'From');
  return v === undefined ? undefined : parseCpimAddress(v);
}

export function cpimTo(msg: CpimMessage): CpimAddress[] {
  return findHeaders(msg, CPIM_HEADERS_NS, 'To').map(parseCpimAddress);
}

export function cpimCc(msg: CpimMessage): CpimAddress[] {
  return findHeaders(msg, CPIM_HEADERS_NS, 'cc').map(parseCpimAddress);
}

export function cpimDateTime(msg: CpimMessage): Date | undefined {
  const v = coreHeader(msg, 'DateTime');
  if (v === undefined) return undefined;
  try {
    return parseDateTime(v);
  } catch {
    throw new CpimParseError('datetime', `RFC 3862 §3.3.6: bad DateTime ${JSON.stringify(v)}`);
  }
}

/** RFC 3862 §3.3.5 Subject, without a leading `;lang=` parameter. */
export function cpimSubject(msg: CpimMessage): string | undefined {
  const v = coreHeader(msg, 'Subject');
  return v?.replace(/^;lang=[A-Za-z0-9-]+\s*/, '');
}

export function cpimContentType(msg: CpimMessage): string | undefined {
  return getHeader(msg.contentHeaders, 'Content-Type');
}

export interface CpimInit {
  from: CpimAddress;
  to: CpimAddress | CpimAddress[];
  cc?: CpimAddress[];
  dateTime?: Date;
  subject?: string;
  /** NS declarations, written after the core headers. */
  namespaces?: NsDeclaration[];
  /** RFC 3862 §3.3.8 Require: header names the recipient must understand. */
  require?: string[];
  /** Further message headers, written last in this order (`imdn.Message-ID`...). */
  headers?: HeaderField[];
  contentType: string;
  /** Content headers after Content-Type (`Content-Disposition`, `Content-ID`...). */
  contentHeaders?: HeaderField[];
  content: Buffer;
}

/** Build a CPIM message: From, To, cc, DateTime, Subject, NS, Require, then `headers`. */
export function createCpim(init: CpimInit): CpimMessage {
  const headers: HeaderField[] = [{ name: 'From', value: formatCpimAddress(init.from) }];
  for (const to of Array.isArray(init.to) ? init.to : [init.to])
    headers.push({ name: 'To', value: formatCpimAddress(to) });
  for (const cc of init.cc ?? []) headers.push({ name: 'cc', value: formatCpimAddress(cc) });
  if (init.dateTime) headers.push({ name: 'DateTime', value: init.dateTime.toISOString() });
  if (init.subject !== undefined) headers.push({ name: 'Subject', value: init.subject });
  for (const ns of init.namespaces ?? []) headers.push({ name: 'NS', value: formatNs(ns) });
  if (init.require?.length) headers.push({ name: 'Require', value: init.require.join(',') });
  headers.push(...(init.headers ?? []));
  return {
    headers,
    contentHeaders: [{ name: 'Content-Type', value: init.contentType }, ...(init.contentHeaders ?? [])],
    content: init.content,
  };
}
