// Incremental MSRP stream parser (RFC 4975 §7, §9 grammar) on Buffers. Each byte is examined a bounded
// number of times: the header block is scanned line by line from where the last read stopped, and a
// body is searched for its end-line with only a marker-sized tail kept back between reads.
import type { ContinuationFlag, MsrpFrame, MsrpHeader } from './frame.js';
import { H, getHeader } from './frame.js';

export interface MsrpParserLimits {
  /** Start line plus header fields, in octets (RFC 4975 leaves it open; the lab uses 8 KiB). */
  maxHeaderBytes: number;
  /** Body octets of one chunk; larger chunks are skipped to their end-line and answered 413. */
  maxChunkBytes: number;
}

export const DEFAULT_PARSER_LIMITS: MsrpParserLimits = {
  maxHeaderBytes: 8 * 1024,
  maxChunkBytes: 1024 * 1024,
};

export type ParseEvent =
  | {
      type: 'frame';
      frame: MsrpFrame;
      /** The frame's exact wire bytes when the parser was created with `keepRaw`. */
      raw: Buffer | undefined;
    }
  | {
      /** A frame whose transaction ID was readable but which is malformed or too large. */
      type: 'error';
      transactionId: string;
      /** The start line's method, or undefined for responses and unreadable methods. */
      method: string | undefined;
      isRequest: boolean;
      /** The status a request should be answered with: 400 malformed, 413 too large. */
      status: 400 | 413;
      reason: string;
      /** The header fields that could be read (a response needs the request's From-Path). */
      headers: MsrpHeader[];
      raw: Buffer | undefined;
    }
  | {
      /** The stream cannot be resynchronised (no readable transaction ID): close the connection. */
      type: 'fatal';
      reason: string;
    };

type State = 'start-line' | 'headers' | 'body' | 'dead';

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
const PREFIX = Buffer.from('MSRP ');
const DASHES = '-------';
// RFC 4975 §9: transact-id = ident = ALPHANUM 3*31ident-char; tolerated on input: 1 to 64 characters.
const START_RE = /^MSRP ([A-Za-z0-9][A-Za-z0-9.\-+%=]{0,63}) (.*)$/s;
const METHOD_RE = /^[A-Z]+$/;
const STATUS_RE = /^(\d{3})(?: (.*))?$/s;
const HEADER_RE = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+): ?(.*)$/s;
const FLAGS = new Set([0x24, 0x2b, 0x23]); // $ + #

interface Pending {
  tid: string;
  kind: 'request' | 'response' | 'bad';
  method: string | undefined;
  status: number;
  comment: string | undefined;
  headers: MsrpHeader[];
  error: { status: 400 | 413; reason: string } | undefined;
}

export class MsrpParser {
  readonly #limits: MsrpParserLimits;
  readonly #keepRaw: boolean;
  #state: State = 'start-line';
  /** Unconsumed input; in the body state only a tail that may hold a partial end-line. */
  #buf: Buffer = EMPTY;
  /** Where the current frame started in #buf (start-line and headers states). */
  #frameStart = 0;
  /** Start of the line being scanned (start-line and headers states). */
  #lineStart = 0;
  /** Where to resume looking for CRLF: never rescans what an earlier read already scanned. */
  #scan = 0;
  #cur: Pending | undefined;
  // Body state.
  #marker: Buffer = EMPTY;
  /** Leading octets of #buf that belong to the header block (the blank line's CRLF), not the body. */
  #skip = 0;
  #bodyParts: Buffer[] = [];
  #bodySize = 0;
  #hasBody = false;
  /** False once the chunk is being skipped for size: its octets are dropped, not kept. */
  #keepBody = true;
  #headerRaw: Buffer = EMPTY;

  constructor(options: { limits?: Partial<MsrpParserLimits>; keepRaw?: boolean } = {}) {
    this.#limits = { ...DEFAULT_PARSER_LIMITS, ...options.limits };
    this.#keepRaw = options.keepRaw ?? false;
  }

  /** True after a fatal error: the parser ignores further input. */
  get dead(): boolean {
    return this.#state === 'dead';
  }

  /** Octets held back between reads (bounded: a header block, or a partial end-line in a body). */
  get buffered(): number {
    return this.#buf.length;
  }

  /** Feed bytes from the stream; returns the frames and errors they complete. Never throws on input. */
  push(data: Buffer): ParseEvent[] {
    const events: ParseEvent[] = [];
    if (this.dead || data.length === 0) return events;
    this.#buf = this.#buf.length === 0 ? data : Buffer.concat([this.#buf, data]);
    let progress = true;
    while (progress && !this.dead) {
      switch (this.#state) {
        case 'start-line':
          progress = this.#startLine(events);
          break;
        case 'headers':
          progress = this.#headers(events);
          break;
        case 'body':
          progress = this.#body(events);
          break;
      }
    }
    this.#compact();
    return events;
  }

  /** Drop consumed octets, keeping only the bounded unconsumed tail (copied, so reads are not pinned). */
  #compact(): void {
    if (this.#state === 'dead') {
      this.#buf = EMPTY;
      return;
    }
    if (this.#state === 'body') return; // #body() already trimmed to the tail
    const from = this.#frameStart;
    if (from === 0 && this.#buf.length < 64 * 1024) return;
    this.#buf = Buffer.from(this.#buf.subarray(from));
    this.#lineStart -= from;
    this.#scan -= from;
    this.#frameStart = 0;
  }

  #fatal(events: ParseEvent[], reason: string): false {
    events.push({ type: 'fatal', reason });
    this.#state = 'dead';
    this.#cur = undefined;
    return false;
  }

  /** Next CRLF-terminated line from #lineStart, or undefined (and #scan advanced) if incomplete. */
  #nextLine(): number | undefined {
    const at = this.#buf.indexOf(CRLF, this.#scan);
    if (at < 0) {
      this.#scan = Math.max(this.#lineStart, this.#buf.length - 1);
      return undefined;
    }
    return at;
  }

  // RFC 4975 §7.1 req-start / resp-start: `MSRP SP transact-id SP (method | status [SP comment]) CRLF`.
  #startLine(events: ParseEvent[]): boolean {
    const buf = this.#buf;
    const avail = buf.length - this.#frameStart;
    if (avail === 0) return false;
    const n = Math.min(avail, PREFIX.length);
    if (buf.compare(PREFIX, 0, n, this.#frameStart, this.#frameStart + n) !== 0)
      return this.#fatal(events, 'stream does not start with an MSRP start line');
    const end = this.#nextLine();
    if (end === undefined) {
      if (avail > this.#limits.maxHeaderBytes) return this.#fatal(events, 'start line too long');
      return false;
    }
    if (end - this.#frameStart > this.#limits.maxHeaderBytes)
      return this.#fatal(events, 'start line too long');
    const line = buf.toString('utf8', this.#frameStart, end);
    const m = START_RE.exec(line);
    if (!m) return this.#fatal(events, 'malformed start line');
    const tid = m[1]!;
    const rest = m[2]!;
    const cur: Pending = {
      tid,
      kind: 'bad',
      method: undefined,
      status: 0,
      comment: undefined,
      headers: [],
      error: undefined,
    };
    const sm = STATUS_RE.exec(rest);
    if (METHOD_RE.test(rest)) {
      cur.kind = 'request';
      cur.method = rest;
    } else if (sm) {
      cur.kind = 'response';
      cur.status = Number(sm[1]);
      cur.comment = sm[2];
    } else {
      cur.error = { status: 400, reason: 'malformed method or status in start line' };
    }
    this.#cur = cur;
    this.#lineStart = end + 2;
    this.#scan = this.#lineStart;
    this.#state = 'headers';
    return true;
  }

  // RFC 4975 §9: headers, then either CRLF (content-stuff follows) or the end-line directly.
  #headers(events: ParseEvent[]): boolean {
    const cur = this.#cur!;
    const buf = this.#buf;
    const end = this.#nextLine();
    if (end === undefined) {
      if (buf.length - this.#frameStart > this.#limits.maxHeaderBytes) this.#overflow();
      return this.#state === 'body';
    }
    const lineStart = this.#lineStart;
    if (end - this.#frameStart > this.#limits.maxHeaderBytes) {
      this.#overflow();
      return true;
    }
    if (end === lineStart) {
      // Blank line: the body follows. Keep its CRLF in the buffer: an empty body's end-line may
      // follow it directly, in which case that CRLF also serves as the end-line's leading CRLF.
      this.#enterBody(lineStart, end + 2);
      return true;
    }
    const endLine = DASHES + cur.tid;
    const lineLen = end - lineStart;
    if (
      lineLen === endLine.length + 1 &&
      buf.toString('latin1', lineStart, lineStart + endLine.length) === endLine
    ) {
      // RFC 4975 §7.1: no content-stuff, the end-line straight after the headers.
      const flag = buf[end - 1]!;
      if (FLAGS.has(flag)) {
        const raw = this.#keepRaw ? buf.subarray(this.#frameStart, end + 2) : undefined;
        this.#hasBody = false;
        this.#finish(events, String.fromCharCode(flag) as ContinuationFlag, undefined, raw);
        this.#frameStart = end + 2;
        this.#lineStart = this.#frameStart;
        this.#scan = this.#frameStart;
        this.#state = 'start-line';
        return true;
      }
    }
    const hm = HEADER_RE.exec(buf.toString('utf8', lineStart, end));
    if (hm) cur.headers.push({ name: hm[1]!, value: hm[2]! });
    else cur.error ??= { status: 400, reason: 'malformed header field' };
    this.#lineStart = end + 2;
    this.#scan = this.#lineStart;
    return true;
  }

  /** The header block passed its bound: skip to this transaction's end-line and answer 400. */
  #overflow(): void {
    const cur = this.#cur!;
    cur.error = { status: 400, reason: 'header block too large' };
    // The end-line, wherever it is, is preceded by the CRLF that ended the previous line.
    this.#enterBody(this.#lineStart - 2, this.#lineStart);
    this.#keepBody = false;
    this.#hasBody = false;
  }

  /** Switch to the body state; #buf keeps octets from `keepFrom` (the CRLF before the body). */
  #enterBody(keepFrom: number, bodyStart: number): void {
    const cur = this.#cur!;
    this.#headerRaw = this.#keepRaw ? Buffer.from(this.#buf.subarray(this.#frameStart, bodyStart)) : EMPTY;
    this.#marker = Buffer.from('\r\n' + DASHES + cur.tid, 'latin1');
    this.#buf = this.#buf.subarray(keepFrom);
    this.#skip = bodyStart - keepFrom;
    this.#bodyParts = [];
    this.#bodySize = 0;
    this.#keepBody = true;
    this.#hasBody = true;
    this.#frameStart = 0;
    this.#state = 'body';
  }

  /** Move body octets [skip, upTo) of #buf into the body, and trim #buf to what follows. */
  #flush(upTo: number): void {
    const from = this.#skip;
    if (upTo > from) {
      const part = this.#buf.subarray(from, upTo);
      this.#bodySize += part.length;
      if (this.#keepBody) {
        if (this.#bodySize > this.#limits.maxChunkBytes) {
          this.#keepBody = false;
          this.#bodyParts = [];
          this.#cur!.error = { status: 413, reason: 'chunk too large' };
        } else {
          this.#bodyParts.push(part);
        }
      }
      this.#skip = 0;
      this.#buf = this.#buf.subarray(upTo);
    }
    // Otherwise only header octets (the blank line's CRLF) lie before upTo: nothing to move.
  }

  // RFC 4975 §7.1: the body ends at CRLF "-------" transact-id flag CRLF.
  #body(events: ParseEvent[]): boolean {
    const marker = this.#marker;
    const need = marker.length + 3;
    let from = 0;
    for (;;) {
      const buf = this.#buf;
      const at = buf.indexOf(marker, from);
      if (at < 0) {
        // Keep back what could be the start of a marker split across reads.
        this.#flush(Math.max(0, buf.length - (marker.length - 1)));
        this.#buf = Buffer.from(this.#buf); // detach the small tail from the read buffer
        return false;
      }
      if (buf.length - at < need) {
        this.#flush(at);
        this.#buf = Buffer.from(this.#buf);
        return false;
      }
      const flag = buf[at + marker.length]!;
      if (FLAGS.has(flag) && buf[at + marker.length + 1] === 0x0d && buf[at + marker.length + 2] === 0x0a) {
        this.#flush(at);
        const tailFrom = Math.min(this.#skip, this.#buf.length);
        const after = this.#buf.length - (buf.length - (at + need));
        const tail = this.#buf.subarray(tailFrom, after);
        const body = this.#keepBody ? Buffer.concat(this.#bodyParts, this.#bodySize) : undefined;
        const raw =
          this.#keepRaw && this.#keepBody ? Buffer.concat([this.#headerRaw, body ?? EMPTY, tail]) : undefined;
        this.#finish(events, String.fromCharCode(flag) as ContinuationFlag, body, raw);
        this.#buf = this.#buf.subarray(after);
        this.#bodyParts = [];
        this.#headerRaw = EMPTY;
        this.#frameStart = 0;
        this.#lineStart = 0;
        this.#scan = 0;
        this.#state = 'start-line';
        return true;
      }
      // "-------tid" not followed by flag CRLF: body octets after all (RFC 4975 §7.1.1 forbids this
      // in bodies we send; tolerated on input).
      from = at + 1;
    }
  }

  #finish(
    events: ParseEvent[],
    flag: ContinuationFlag,
    body: Buffer | undefined,
    raw: Buffer | undefined,
  ): void {
    const cur = this.#cur!;
    this.#cur = undefined;
    const theBody = this.#hasBody ? (body ?? EMPTY) : undefined;
    let error = cur.error;
    // RFC 4975 §7.1 / §7.2: To-Path and From-Path are mandatory in every request and response.
    if (!error && (getHeader(cur, H.toPath) === undefined || getHeader(cur, H.fromPath) === undefined))
      error = { status: 400, reason: 'missing To-Path or From-Path' };
    if (error || cur.kind === 'bad') {
      const e = error ?? { status: 400 as const, reason: 'malformed start line' };
      events.push({
        type: 'error',
        transactionId: cur.tid,
        method: cur.method,
        isRequest: cur.kind !== 'response',
        status: e.status,
        reason: e.reason,
        headers: cur.headers,
        raw,
      });
      return;
    }
    if (cur.kind === 'request') {
      events.push({
        type: 'frame',
        frame: {
          kind: 'request',
          transactionId: cur.tid,
          method: cur.method!,
          headers: cur.headers,
          body: theBody,
          flag,
        },
        raw,
      });
    } else {
      const frame: MsrpFrame = {
        kind: 'response',
        transactionId: cur.tid,
        status: cur.status,
        headers: cur.headers,
        body: theBody,
        flag,
      };
      if (cur.comment !== undefined) frame.comment = cur.comment;
      events.push({ type: 'frame', frame, raw });
    }
  }
}
