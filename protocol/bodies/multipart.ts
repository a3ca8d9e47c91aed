// multipart/* bodies (RFC 2046 §5.1) built and parsed on Buffers; part content is never decoded.
import { randomBytes } from 'node:crypto';
import { Params } from '../sip/params.js';
import { BodyParseError } from './errors.js';
import { formatHeaderBlock, type HeaderField, readHeaderBlock } from './headers.js';
import { formatMediaType, parseMediaType } from './media-type.js';

export interface BodyPart {
  headers: HeaderField[];
  body: Buffer;
}

export interface MultipartLimits {
  /** Largest accepted multipart body in bytes (default 4 MiB). */
  maxBytes?: number;
  /** Most parts accepted (default 64). */
  maxParts?: number;
}

export const DEFAULT_MAX_MULTIPART_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_PARTS = 64;

// RFC 2046 §5.1.1 boundary: 1-70 bchars, not ending in a space.
const BOUNDARY_RE = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

export function isValidBoundary(boundary: string): boolean {
  return BOUNDARY_RE.test(boundary);
}

/** Build a multipart body. The boundary is generated (or checked) so that it occurs in no part. */
export function buildMultipart(
  parts: readonly BodyPart[],
  opts: { subtype?: string; boundary?: string } = {},
): { contentType: string; boundary: string; body: Buffer } {
  if (parts.length === 0) throw new BodyParseError('multipart', 'RFC 2046 §5.1.1: at least one body part');
  const heads = parts.map((p) => formatHeaderBlock(p.headers));
  const collides = (b: string): boolean => {
    const delim = Buffer.from('--' + b);
    return parts.some((p, i) => p.body.includes(delim) || heads[i]!.includes(delim));
  };
  let boundary = opts.boundary;
  if (boundary !== undefined) {
    if (!isValidBoundary(boundary)) throw new BodyParseError('multipart', `bad boundary ${boundary}`);
    if (collides(boundary)) throw new BodyParseError('multipart', 'boundary occurs inside a part');
  } else {
    do boundary = 'cpm-' + randomBytes(12).toString('hex');
    while (collides(boundary));
  }
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    chunks.push(Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\n`), heads[i]!, p.body);
  });
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  const params = new Params().set('boundary', boundary, !/^[0-9A-Za-z'+_\-.]+$/.test(boundary));
  const contentType = formatMediaType({ type: `multipart/${opts.subtype ?? 'mixed'}`, params });
  return { contentType, boundary, body: Buffer.concat(chunks) };
}

/** The boundary of a `multipart/*` Content-Type. Throws BodyParseError. */
export function multipartBoundary(contentType: string): string {
  const mt = parseMediaType(contentType);
  if (!mt.type.startsWith('multipart/')) throw new BodyParseError('multipart', `not multipart: ${mt.type}`);
  const b = mt.params.get('boundary');
  if (!b || !isValidBoundary(b)) throw new BodyParseError('multipart', 'missing or bad boundary parameter');
  return b;
}

/**
 * Parse a multipart body given its Content-Type (RFC 2046 §5.1.1). Preamble and epilogue are ignored; the
 * CRLF before each delimiter belongs to the delimiter; bare LF line ends are tolerated.
 */
export function parseMultipart(body: Buffer, contentType: string, limits: MultipartLimits = {}): BodyPart[] {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_MULTIPART_BYTES;
  const maxParts = limits.maxParts ?? DEFAULT_MAX_PARTS;
  if (body.length > maxBytes) {
    throw new BodyParseError('too-large', `multipart body of ${body.length} bytes exceeds ${maxBytes}`);
  }
  const dash = Buffer.from('--' + multipartBoundary(contentType));
  const parts: BodyPart[] = [];
  let delim = findDelimiter(body, dash, 0);
  if (!delim) throw new BodyParseError('multipart', 'no boundary delimiter found');
  while (!delim.close) {
    const next = findDelimiter(body, dash, delim.next);
    if (!next) throw new BodyParseError('multipart', 'missing close delimiter');
    if (parts.length >= maxParts) throw new BodyParseError('too-large', `more than ${maxParts} parts`);
    const content = body.subarray(delim.next, next.start);
    let head: { headers: HeaderField[]; bodyStart: number };
    try {
      head = readHeaderBlock(content, 0);
    } catch (err) {
      throw new BodyParseError('multipart', `part ${parts.length + 1}: ${(err as Error).message}`);
    }
    parts.push({ headers: head.headers, body: Buffer.from(content.subarray(head.bodyStart)) });
    delim = next;
  }
  if (parts.length === 0) throw new BodyParseError('multipart', 'RFC 2046 §5.1.1: at least one body part');
  return parts;
}

interface Delimiter {
  /** Where the part before it ends (its preceding CRLF excluded). */
  start: number;
  /** Where the next part starts (after the delimiter line). */
  next: number;
  close: boolean;
}

function findDelimiter(body: Buffer, dash: Buffer, from: number): Delimiter | undefined {
  let pos = from;
  while (pos <= body.length) {
    const at = body.indexOf(dash, pos);
    if (at < 0) return undefined;
    const atLineStart = at === 0 || body[at - 1] === 0x0a;
    if (atLineStart && at >= from) {
      const d = delimiterAt(body, at, dash.length);
      if (d) {
        let start = at;
        if (start > from && body[start - 1] === 0x0a) start--;
        if (start > from && body[start - 1] === 0x0d) start--;
        return { start, next: d.next, close: d.close };
      }
    }
    pos = at + 1;
  }
  return undefined;
}

/** After `--boundary`: optional `--`, transport padding (LWSP), then a line end or the end of the body. */
function delimiterAt(body: Buffer, at: number, len: number): { next: number; close: boolean } | undefined {
  let i = at + len;
  const close = body[i] === 0x2d && body[i + 1] === 0x2d;
  if (close) i += 2;
  while (body[i] === 0x20 || body[i] === 0x09) i++;
  if (i >= body.length) return close ? { next: i, close } : undefined;
  if (body[i] === 0x0d && body[i + 1] === 0x0a) return { next: i + 2, close };
  if (body[i] === 0x0a) return { next: i + 1, close };
  return undefined;
}

/** A media type's `type/subtype`, lower case, or undefined when it does not parse. */
function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  try {
    return parseMediaType(contentType).type;
  } catch {
    return undefined;
  }
}

/**
 * The body of type `type` (e.g. `application/sdp`) in a message body: the body itself when its Content-Type
 * is `type`, else the first part of that type of a multipart body (RFC 2046 §5.1; RFC 5366 puts the SDP
 * beside a resource list), else undefined. Throws BodyParseError on a malformed multipart body.
 */
export function bodyOfType(body: Buffer, contentType: string | undefined, type: string): Buffer | undefined {
  const wanted = type.toLowerCase();
  const own = mediaTypeOf(contentType);
  if (own === wanted) return body;
  if (contentType === undefined || !own?.startsWith('multipart/')) return undefined;
  return parseMultipart(body, contentType).find(
    (part) =>
      mediaTypeOf(part.headers.find((h) => h.name.toLowerCase() === 'content-type')?.value) === wanted,
  )?.body;
}
