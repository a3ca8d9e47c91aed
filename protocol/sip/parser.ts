// SIP message parser (RFC 3261 §7, §18.3, §25): datagrams whole, streams framed by Content-Length,
// CRLF keep-alives between stream messages (RFC 5626 §4.4.1). Throws/returns SipParseError only.
import { SipParseError } from './errors.js';
import { normalizeHeaderName, splitHeaderList } from './header-names.js';
import { type SipHeader, type SipMessage, SipRequest, SipResponse, SIP_VERSION } from './message.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';

export interface SipParseOptions {
  /** Largest accepted message, start line to end of body, in bytes. Default 64 KiB. */
  maxMessageSize?: number;
}

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

/**
 * The largest body a stream parser reads past (without keeping it) after refusing its message as too large,
 * so that the connection survives a request that is merely big (RFC 3261 §21.5.14: 513, the flow stays up).
 * A larger Content-Length is taken as lost framing.
 */
export const MAX_SKIPPED_BODY = 16 * 1024 * 1024;

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const TOKEN_RE = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const REQUIRED_HEADERS = ['via', 'from', 'to', 'call-id', 'cseq'] as const;

/** Parse one whole message, e.g. a UDP datagram (RFC 3261 §18.3: extra bytes after the body are dropped). */
export function parseMessage(data: Buffer, options: SipParseOptions = {}): SipMessage {
  const max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  if (data.length > max)
    throw new SipParseError('too-large', `message of ${data.length} bytes exceeds ${max}`);
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (start + 1 < data.length && data[start] === 0x0d && data[start + 1] === 0x0a) start += 2;
  const headerEnd = findHeaderEnd(data, start);
  if (headerEnd < 0) throw new SipParseError('header', 'no blank line after the headers');
  const message = parseHead(data, start, headerEnd);
  const bodyStart = headerEnd + CRLF_CRLF.length;
  const available = data.length - bodyStart;
  const declared = declaredContentLength(message);
  if (declared === undefined) {
    message.body = data.subarray(bodyStart);
  } else {
    if (declared > available) {
      throw new SipParseError('content-length', `Content-Length ${declared} but ${available} body bytes`);
    }
    message.body = data.subarray(bodyStart, bodyStart + declared);
  }
  return message;
}

export type SipStreamItem =
  | { kind: 'message'; message: SipMessage; raw: Buffer }
  /** CRLFCRLF keep-alive ping: answer with CRLF (RFC 5626 §4.4.1). */
  | { kind: 'ping' }
  /** A lone CRLF: the pong to our ping. */
  | { kind: 'pong' }
  /** `fatal`: the framing is lost and the connection must be closed. */
  | { kind: 'error'; error: SipParseError; raw: Buffer; fatal: boolean };

/**
 * Incremental parser for a TCP byte stream. Feed it every read; it returns what completed. What it returns
 * depends only on the bytes, never on where the reads split them (messages, errors, pings and pongs alike).
 * Buffers at most one message (bounded by maxMessageSize) and scans each byte for the header end once.
 *
 * Between messages (RFC 5626 §4.4.1) every CRLF is a `pong`, except a CRLF that directly follows such a
 * pong, which completes a CRLFCRLF `ping`: CRLFCRLF is reported as pong then ping. A pong cannot wait to
 * see whether a second CRLF follows (the client waiting for it would wait forever), so the ping's first
 * half is always a pong too, however the bytes arrive.
 */
export class SipStreamParser {
  readonly #max: number;
  #buf: Buffer = Buffer.alloc(0);
  /** Where the search for CRLFCRLF resumes, so no byte is scanned twice. */
  #scanFrom = 0;
  /** Parsed head waiting for its body. */
  #pending: { message: SipMessage; bodyStart: number; length: number } | undefined;
  /** A malformed head with a readable Content-Length: the error goes out once its whole body is here. */
  #pendingError: { error: SipParseError; length: number } | undefined;
  /** Body bytes of a refused oversized message still to be discarded (never buffered). */
  #skip = 0;
  #failed = false;
  /** The last item was a CRLF reported as a pong: one more CRLF completes a ping. */
  #afterPong = false;

  constructor(options: SipParseOptions = {}) {
    this.#max = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  push(chunk: Buffer): SipStreamItem[] {
    const items: SipStreamItem[] = [];
    if (this.#failed || chunk.length === 0) return items;
    if (this.#skip > 0) {
      const skipped = Math.min(this.#skip, chunk.length);
      this.#skip -= skipped;
      chunk = chunk.subarray(skipped);
      if (chunk.length === 0) return items;
    }
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      const item = this.#next();
      if (!item) break;
      items.push(item);
      if (item.kind === 'error' && item.fatal) {
        this.#failed = true;
        this.#buf = Buffer.alloc(0);
        break;
      }
    }
    return items;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#buf.length;
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
    this.#scanFrom = 0;
  }

  /** The next complete item, or undefined when more bytes are needed. Loops (never recurses) over stray bytes. */
  #next(): SipStreamItem | undefined {
    for (;;) {
      const buf = this.#buf;
      if (this.#pending) {
        const { message, bodyStart, length } = this.#pending;
        if (buf.length < bodyStart + length) return undefined;
        this.#pending = undefined;
        const raw = buf.subarray(0, bodyStart + length);
        message.body = buf.subarray(bodyStart, bodyStart + length);
        this.#consume(raw.length);
        this.#afterPong = false;
        return { kind: 'message', message, raw };
      }
      if (this.#pendingError) {
        const { error, length } = this.#pendingError;
        if (buf.length < length) return undefined;
        this.#pendingError = undefined;
        const raw = buf.subarray(0, length);
        this.#consume(length);
        this.#afterPong = false;
        return { kind: 'error', error, raw, fatal: false };
      }
      if (buf.length === 0) return undefined;
      if (buf[0] === 0x0d || buf[0] === 0x0a) {
        // RFC 5626 §4.4.1 keep-alives, only between messages.
        if (buf[0] === 0x0d && buf.length === 1) return undefined; // CR: wait for its LF
        const crlf = buf[0] === 0x0d && buf[1] === 0x0a;
        if (!crlf && buf[0] === 0x0d) {
          this.#consume(1); // a stray CR (RFC 3261 §7.5 tolerance): skipped
          continue;
        }
        this.#consume(crlf ? 2 : 1); // CRLF, or a bare LF taken for one
        if (this.#afterPong) {
          this.#afterPong = false;
          return { kind: 'ping' };
        }
        this.#afterPong = true;
        return { kind: 'pong' };
      }
      this.#afterPong = false;
      return this.#head();
    }
  }

  /** A message head starts at buf[0]: frame it, or report why it cannot be framed. */
  #head(): SipStreamItem | undefined {
    const buf = this.#buf;
    const headerEnd = findHeaderEnd(buf, Math.max(0, this.#scanFrom - 3));
    // The same verdict (and the same raw bytes) whether the oversized head came in one read or many.
    const tooLarge = () =>
      this.#fatal('too-large', `no end of headers within ${this.#max} bytes`, buf.subarray(0, this.#max + 1));
    if (headerEnd < 0) {
      this.#scanFrom = buf.length;
      return buf.length > this.#max ? tooLarge() : undefined;
    }
    const bodyStart = headerEnd + CRLF_CRLF.length;
    if (bodyStart > this.#max) return tooLarge();
    let message: SipMessage;
    try {
      message = parseHead(buf, 0, headerEnd);
    } catch (err) {
      const error = err as SipParseError;
      // The head is malformed: without a readable Content-Length the framing is lost.
      const length = lenientContentLength(buf.subarray(0, headerEnd));
      if (length === undefined || bodyStart + length > this.#max) {
        return this.#fatal(error.code, error.message, buf.subarray(0, bodyStart));
      }
      // Report it once the whole message (head and body) is here, whichever read brings the body.
      this.#pendingError = { error, length: bodyStart + length };
      return this.#next();
    }
    let declared: number | undefined;
    try {
      declared = declaredContentLength(message);
    } catch (err) {
      const error = err as SipParseError;
      return { kind: 'error', error, raw: buf.subarray(0, bodyStart), fatal: true };
    }
    if (declared === undefined) {
      // RFC 3261 §18.3: Content-Length MUST be used on streams. Frame as bodiless and report it.
      const raw = buf.subarray(0, bodyStart);
      this.#consume(raw.length);
      return {
        kind: 'error',
        error: new SipParseError('content-length', 'missing Content-Length on a stream transport'),
        raw,
        fatal: false,
      };
    }
    if (bodyStart + declared > this.#max) {
      const head = buf.subarray(0, bodyStart);
      const error = new SipParseError(
        'too-large',
        `message of ${bodyStart + declared} bytes exceeds ${this.#max}`,
      );
      if (declared > MAX_SKIPPED_BODY) return { kind: 'error', error, raw: head, fatal: true };
      // The head is readable: answer it (513) and read past its body without keeping it; the flow stays up.
      const inBuffer = Math.min(declared, buf.length - bodyStart);
      this.#consume(bodyStart + inBuffer);
      this.#skip = declared - inBuffer;
      return { kind: 'error', error, raw: head, fatal: false };
    }
    this.#pending = { message, bodyStart, length: declared };
    return this.#next();
  }

  #fatal(code: SipParseError['code'], text: string, raw: Buffer): SipStreamItem {
    return { kind: 'error', error: new SipParseError(code, text), raw, fatal: true };
  }
}

function findHeaderEnd(buf: Buffer, from: number): number {
  return buf.indexOf(CRLF_CRLF, from);
}

function declaredContentLength(message: SipMessage): number | undefined {
  const text = message.get('content-length');
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d{1,10}$/.test(trimmed)) throw new SipParseError('content-length', `bad Content-Length ${text}`);
  return Number(trimmed);
}

const CONTENT_LENGTH_LINE_RE = /^(?:content-length|l)[ \t]*:[ \t]*(\d{1,10})[ \t]*$/im;

function lenientContentLength(head: Buffer): number | undefined {
  const m = CONTENT_LENGTH_LINE_RE.exec(head.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/** Parse start line and headers of `buf[start, end)` (end = index of the blank line's CRLFCRLF). */
function parseHead(buf: Buffer, start: number, end: number): SipMessage {
  if (buf.subarray(start, end).indexOf(0) !== -1) {
    throw new SipParseError('nul-byte', 'NUL byte in the message head');
  }
  const text = buf.toString('utf8', start, end);
  const lines = text.split('\r\n');
  const startLine = lines[0]!;
  const headers = parseHeaderLines(lines);
  const message = parseStartLine(startLine, headers);
  validate(message);
  return message;
}

function parseHeaderLines(lines: string[]): SipHeader[] {
  const headers: SipHeader[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header (folding).
      const prev = headers[headers.length - 1];
      if (!prev) throw new SipParseError('header', 'continuation line before any header');
      prev.value = (prev.value + ' ' + line.trim()).trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError('header', `malformed header line ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trimEnd();
    if (!TOKEN_RE.test(name)) throw new SipParseError('header', `bad header name ${JSON.stringify(name)}`);
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  return headers;
}

function parseStartLine(line: string, headers: SipHeader[]): SipMessage {
  if (line.startsWith('SIP/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
    const sp1 = line.indexOf(' ');
    const version = line.slice(0, sp1);
    const code = line.slice(sp1 + 1, sp1 + 4);
    if (sp1 < 0 || !/^[1-6]\d\d$/.test(code) || (line.length > sp1 + 4 && line[sp1 + 4] !== ' ')) {
      throw new SipParseError('start-line', `bad status line ${JSON.stringify(line)}`);
    }
    checkVersion(version);
    return new SipResponse(Number(code), line.slice(sp1 + 5), headers, undefined, version);
  }
  // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1)
  const parts = line.split(' ');
  if (parts.length !== 3) throw new SipParseError('start-line', `bad request line ${JSON.stringify(line)}`);
  const [method, uri, version] = parts as [string, string, string];
  if (!TOKEN_RE.test(method)) throw new SipParseError('start-line', `bad method ${JSON.stringify(method)}`);
  checkVersion(version);
  // RFC 3261 §25.1: no white space inside the Request-URI (SP separates the parts; HTAB is not allowed).
  if (/\s/.test(uri)) throw new SipParseError('uri', `white space in Request-URI ${JSON.stringify(uri)}`);
  parseUri(uri); // throws SipParseError('uri')
  return new SipRequest(method, uri, headers, undefined, version);
}

function checkVersion(version: string): void {
  if (version.toUpperCase() !== SIP_VERSION) {
    throw new SipParseError('version', `unsupported SIP version ${JSON.stringify(version)}`);
  }
}

/** RFC 3261 §8.1.1 / §8.2.2: the headers every message needs, well formed. */
function validate(message: SipMessage): void {
  for (const name of REQUIRED_HEADERS) {
    if (!message.has(name)) throw new SipParseError('missing-header', `missing ${name} header`);
  }
  // Through the message's accessors: what they parse here is reused by the stack's later reads.
  const cseq = message.cseq;
  if (message.isRequest && cseq.method !== message.method) {
    throw new SipParseError('cseq', `CSeq method ${cseq.method} does not match ${message.method}`);
  }
  void message.topVia;
  const vias = message.getAll('via');
  for (let i = 1; i < vias.length; i++) parseVia(vias[i]!);
  void message.from;
  void message.to;
  if (!message.callId) throw new SipParseError('missing-header', 'empty Call-ID');
}

const REASONS_FOR_CODE: Partial<Record<SipParseError['code'], [number, string]>> = {
  'too-large': [513, 'Message Too Large'],
  version: [505, 'Version Not Supported'],
};

/**
 * The response for a malformed request (RFC 3261 §21.4.1 400, §21.5.14 513, §21.5.15 505), built from
 * leniently read Via/From/To/Call-ID/CSeq; undefined (drop silently) for responses or unreadable Via.
 */
export function parseErrorResponse(raw: Buffer, error: SipParseError): SipResponse | undefined {
  const headEnd = raw.indexOf(CRLF_CRLF);
  const text = raw.toString('utf8', 0, headEnd >= 0 ? headEnd : Math.min(raw.length, 8192));
  const lines = text.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
  if (!lines[0] || lines[0].startsWith('SIP/')) return undefined;
  const copied: SipHeader[] = [];
  let hasVia = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    if (!TOKEN_RE.test(name)) continue;
    const key = normalizeHeaderName(name);
    if (!['via', 'from', 'to', 'call-id', 'cseq'].includes(key)) continue;
    const value = line
      .slice(colon + 1)
      .trim()
      .replace(/\0/g, '');
    if (key === 'via') {
      try {
        for (const v of splitHeaderList(value)) parseVia(v);
      } catch {
        return undefined;
      }
      hasVia = true;
    }
    copied.push({ name, value });
  }
  if (!hasVia) return undefined;
  const [status, reason] = REASONS_FOR_CODE[error.code] ?? [400, 'Bad Request'];
  const detail = error.message.replace(/[\r\n\0]/g, ' ').slice(0, 120);
  const response = new SipResponse(status, reason, copied);
  response.append('Warning', `399 cpm-lab "${detail.replace(/["\\]/g, "'")}"`);
  response.append('Content-Length', 0);
  return response;
}
