// MIME header blocks (RFC 5322 §2.2, RFC 2045 §3) on Buffers: used by multipart parts and CPIM (RFC 3862 §3.1).
import { BodyParseError } from './errors.js';

export interface HeaderField {
  name: string;
  value: string;
}

// RFC 5322 §3.6.8 field-name: printable US-ASCII except ':'.
const FIELD_NAME_RE = /^[!-9;-~]+$/;

const CR = 0x0d;
const LF = 0x0a;

/**
 * Read header lines from `buf` at `start` up to and including the empty line that ends them. Lines end in CRLF
 * (bare LF tolerated); folded lines are unfolded (RFC 5322 §2.2.3). Values are UTF-8, trimmed.
 * Throws BodyParseError('headers') on a line without ':' or when the block has no terminating empty line.
 */
export function readHeaderBlock(buf: Buffer, start = 0): { headers: HeaderField[]; bodyStart: number } {
  const headers: HeaderField[] = [];
  let i = start;
  while (true) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0) throw new BodyParseError('headers', 'header block not terminated by an empty line');
    const lineEnd = lf > i && buf[lf - 1] === CR ? lf - 1 : lf;
    const line = buf.toString('utf8', i, lineEnd);
    i = lf + 1;
    if (line === '') return { headers, bodyStart: i };
    if (line[0] === ' ' || line[0] === '\t') {
      const last = headers[headers.length - 1];
      if (!last) throw new BodyParseError('headers', 'continuation line before any header');
      last.value = (last.value + ' ' + line.trim()).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!FIELD_NAME_RE.test(name))
      throw new BodyParseError('headers', `bad header line ${JSON.stringify(line)}`);
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
}

/** `Name: value\r\n` for each header, then the empty line. Throws BodyParseError('headers') on unsafe input. */
export function formatHeaderBlock(headers: readonly HeaderField[]): Buffer {
  let out = '';
  for (const h of headers) {
    if (!FIELD_NAME_RE.test(h.name))
      throw new BodyParseError('headers', `bad header name ${JSON.stringify(h.name)}`);
    if (/[\r\n\0]/.test(h.value)) throw new BodyParseError('headers', `CR, LF or NUL in header ${h.name}`);
    out += `${h.name}: ${h.value}\r\n`;
  }
  return Buffer.from(out + '\r\n', 'utf8');
}

/** First header named `name` (case-insensitive, RFC 5322 §1.2.2). */
export function getHeader(headers: readonly HeaderField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}
