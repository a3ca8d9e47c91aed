// Bounded, lenient reading of one traced SIP or MSRP message: start line, headers, body, SDP and MSRP
// path facts. Trace bytes may be cut (TraceRecord.rawLength) or malformed; nothing here throws.

import { normalizeHeaderName } from '../../protocol/sip/index.js';
import type { WireProtocol } from '../../protocol/trace/index.js';

/** Bytes of a message searched for the end of the header section. */
const MAX_HEAD_BYTES = 64 * 1024;
/** Bytes of a body searched for SDP lines or a CPIM inner Content-Type. */
const MAX_BODY_SCAN = 64 * 1024;

export interface MessageView {
  startLine: string;
  /** Header fields in order; names lower case, SIP compact forms expanded (RFC 3261 §7.3.3). */
  headers: readonly (readonly [name: string, value: string])[];
  body: Buffer;
  /** MSRP end-line continuation flag (RFC 4975 §7.1): `$` complete, `+` more chunks, `#` aborted. */
  msrpFlag?: '$' | '+' | '#';
}

const views = new WeakMap<Buffer, MessageView>();

/** Reads (and memoises per Buffer) the parts of a message. */
export function viewMessage(protocol: WireProtocol, raw: Buffer): MessageView {
  let view = views.get(raw);
  if (!view) {
    view = protocol === 'msrp' ? readMsrp(raw) : readSip(raw);
    views.set(raw, view);
  }
  return view;
}

/** First value of a header (case-insensitive, compact forms accepted). */
export function header(view: MessageView, name: string): string | undefined {
  const wanted = normalizeHeaderName(name);
  for (const [n, v] of view.headers) if (n === wanted) return v;
  return undefined;
}

/** All values of a header, comma-joined occurrences kept as separate entries. */
export function headerValues(view: MessageView, name: string): string[] {
  const wanted = normalizeHeaderName(name);
  return view.headers.filter(([n]) => n === wanted).map(([, v]) => v);
}

function readSip(raw: Buffer): MessageView {
  // RFC 3261 §7.5: leading CRLFs are ignored (keep-alives, RFC 5626 §3.5.1).
  let start = 0;
  while (start < raw.length && (raw[start] === 0x0d || raw[start] === 0x0a)) start++;
  const { lines, bodyStart } = headLines(raw, start);
  const [startLine = '', ...headerLines] = lines;
  return { startLine, headers: parseHeaderLines(headerLines, true), body: raw.subarray(bodyStart) };
}

// RFC 4975 §7.1 / §9: msrp-req-or-resp = start-line *header [CRLF body] end-line,
// end-line = "-------" transact-id continuation-flag CRLF.
function readMsrp(raw: Buffer): MessageView {
  const firstEnd = raw.indexOf('\r\n');
  const startLine = raw.toString('utf8', 0, firstEnd < 0 ? Math.min(raw.length, 1024) : firstEnd);
  const tid = /^MSRP (\S+) /.exec(startLine)?.[1];
  const endLine = tid === undefined ? -1 : raw.lastIndexOf(`\r\n-------${tid}`);
  const msrpFlag = endLine < 0 ? undefined : flagAt(raw, endLine + 9 + Buffer.byteLength(tid!));
  const limit = endLine < 0 ? raw.length : endLine + 2;
  const blank = raw.subarray(0, Math.min(limit, MAX_HEAD_BYTES)).indexOf('\r\n\r\n');
  const headEnd = blank < 0 ? Math.max(firstEnd, limit - 2) : blank;
  const lines =
    firstEnd < 0 ? [] : raw.toString('utf8', firstEnd + 2, Math.max(firstEnd + 2, headEnd)).split('\r\n');
  const body = blank < 0 ? raw.subarray(0, 0) : raw.subarray(blank + 4, endLine < 0 ? raw.length : endLine);
  const view: MessageView = { startLine, headers: parseHeaderLines(lines, false), body };
  if (msrpFlag) view.msrpFlag = msrpFlag;
  return view;
}

function flagAt(raw: Buffer, index: number): '$' | '+' | '#' | undefined {
  const c = String.fromCharCode(raw[index] ?? 0);
  return c === '$' || c === '+' || c === '#' ? c : undefined;
}

/** Lines of the header section (start line first) and where the body starts; tolerates bare LF. */
function headLines(raw: Buffer, start: number): { lines: string[]; bodyStart: number } {
  const scan = raw.subarray(start, Math.min(raw.length, start + MAX_HEAD_BYTES));
  const crlf = scan.indexOf('\r\n\r\n');
  const lf = scan.indexOf('\n\n');
  let headEnd = scan.length;
  let bodyStart = raw.length;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) {
    headEnd = crlf;
    bodyStart = start + crlf + 4;
  } else if (lf >= 0) {
    headEnd = lf;
    bodyStart = start + lf + 2;
  }
  // latin1 maps bytes 1:1; header names are ASCII and values are only displayed.
  return { lines: scan.toString('latin1', 0, headEnd).split(/\r?\n/), bodyStart };
}

function parseHeaderLines(lines: readonly string[], sip: boolean): [string, string][] {
  const headers: [string, string][] = [];
  for (const line of lines) {
    // RFC 3261 §7.3.1: a line starting with whitespace continues the previous field.
    if (sip && /^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    headers.push([sip ? normalizeHeaderName(name) : name.toLowerCase(), value]);
  }
  return headers;
}

/** Facts from an SDP offer/answer (RFC 4566), also found inside a multipart body. */
export interface SdpFacts {
  /** RFC 3264 §5.1 direction attribute of the first media description that has one. */
  direction?: 'sendonly' | 'recvonly' | 'sendrecv' | 'inactive';
  /** MSRP URIs of a=path (RFC 4975 §8.2). */
  paths: string[];
}

export function sdpFacts(body: Buffer): SdpFacts | undefined {
  const text = body.toString('latin1', 0, Math.min(body.length, MAX_BODY_SCAN));
  if (!/^v=0\r?$/m.test(text)) return undefined;
  const facts: SdpFacts = { paths: [] };
  const dir = /^a=(sendonly|recvonly|sendrecv|inactive)\r?$/m.exec(text);
  if (dir) facts.direction = dir[1] as SdpFacts['direction'];
  for (const m of text.matchAll(/^a=path:[ \t]*([^\r\n]*)/gm)) {
    facts.paths.push(...m[1]!.split(/[ \t]+/).filter(Boolean));
  }
  return facts;
}

/** Session id of an MSRP URI `msrp://host:port/session-id;tcp` (RFC 4975 §6, §9). */
export function msrpSessionId(uri: string): string | undefined {
  return /^msrps?:\/\/[^/\s]+\/([^;\s]+)/i.exec(uri.trim())?.[1];
}

/** URIs of an MSRP To-Path or From-Path header value (space-separated, RFC 4975 §9). */
export function msrpPath(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/[ \t]+/).filter(Boolean);
}

/** Media type of a Content-Type value, lower case, without parameters. */
export function mediaType(value: string | undefined): string | undefined {
  const t = value?.split(';')[0]?.trim().toLowerCase();
  return t === '' ? undefined : t;
}

/** Content-Type of the message wrapped in a CPIM body (RFC 3862 §2: headers, blank line, MIME headers). */
export function cpimInnerType(body: Buffer): string | undefined {
  const text = body.toString('utf8', 0, Math.min(body.length, MAX_BODY_SCAN));
  const blank = /\r?\n\r?\n/.exec(text);
  if (!blank) return undefined;
  const mime = text.slice(blank.index + blank[0].length);
  return mediaType(/^content-type[ \t]*:[ \t]*([^\r\n]*)/im.exec(mime.split(/\r?\n\r?\n/)[0] ?? '')?.[1]);
}
