// Receive-side reassembly of chunked messages (RFC 4975 §7.1.2, §7.3): chunks of several messages may
// interleave on one session and arrive in any order; they are put together per Message-ID.
//
// Memory is bounded by what is actually held: each byte range is stored once (a resent or overlapping chunk
// adds only the octets not held yet), the bytes held count against the session's and the node's budgets, and
// an incomplete message that sees no chunk for `incompleteTimeoutMs` is dropped.
import type { ByteRange } from './byte-range.js';
import type { ContinuationFlag } from './frame.js';

/** Bytes held in incomplete messages across every session of a node (shared by its reassemblers). */
export class ByteBudget {
  held = 0;
  constructor(readonly max: number) {}

  take(n: number): boolean {
    if (this.held + n > this.max) return false;
    this.held += n;
    return true;
  }

  give(n: number): void {
    this.held = Math.max(0, this.held - n);
  }
}

export interface ReassemblyLimits {
  /** Largest message accepted (the local `a=max-size`, or configuration). */
  maxMessageBytes: number;
  /** Messages that may be incomplete at once on one session. */
  maxPendingMessages: number;
  /** Bytes held in incomplete messages of this session; default 2 × maxMessageBytes. */
  maxSessionBytes?: number;
  /** The node's budget for bytes held in incomplete messages, shared by every session. */
  nodeBudget?: ByteBudget;
  /** An incomplete message with no chunk for this long is dropped; default 120 000 ms. */
  incompleteTimeoutMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export type ChunkOutcome =
  | { state: 'partial' }
  | { state: 'complete'; body: Buffer; contentType: string | undefined }
  /** RFC 4975 §7.1.2: the chunk carried `#`; what was received is discarded. */
  | { state: 'aborted' }
  /**
   * RFC 4975 §7.3: 413, the message is (or claims to be) larger than accepted, or holding it would exceed the
   * session's or the node's budget for incomplete messages.
   */
  | { state: 'too-large'; reason?: string }
  /** The chunk's range is inconsistent with earlier chunks (423 / 400 territory). */
  | { state: 'invalid'; reason: string };

/** Octets start..end (1-based, inclusive) of the message. */
interface Span {
  start: number;
  end: number;
  data: Buffer;
}

interface PendingMessage {
  /** Disjoint spans, sorted by start. */
  spans: Span[];
  /** Octets held (the sum of the spans' lengths). */
  held: number;
  /** Last octet index once known (from `total` or from the chunk flagged `$`). */
  last: number | undefined;
  contentType: string | undefined;
  touchedAt: number;
}

export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #pending = new Map<string, PendingMessage>();
  readonly #maxSessionBytes: number;
  readonly #now: () => number;
  #held = 0;

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
    this.#maxSessionBytes = limits.maxSessionBytes ?? 2 * limits.maxMessageBytes;
    this.#now = limits.now ?? Date.now;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Bytes held in this session's incomplete messages. */
  get heldBytes(): number {
    return this.#held;
  }

  /** Add one SEND chunk. `range` undefined means the whole message in one chunk (`1-*\/*`). */
  add(
    messageId: string,
    range: ByteRange | undefined,
    flag: ContinuationFlag,
    body: Buffer,
    contentType: string | undefined,
  ): ChunkOutcome {
    this.#expire();
    const start = range?.start ?? 1;
    const end = start + body.length - 1;
    let msg = this.#pending.get(messageId);
    if (flag === '#') {
      this.discard(messageId);
      return { state: 'aborted' };
    }
    const limit = this.#limits.maxMessageBytes;
    if ((range?.total ?? 0) > limit || end > limit) {
      this.discard(messageId);
      return { state: 'too-large' };
    }
    if (range?.end !== undefined && range.end !== end)
      return { state: 'invalid', reason: 'Byte-Range end does not match the body length' };
    if (!msg) {
      if (this.#pending.size >= this.#limits.maxPendingMessages)
        return { state: 'invalid', reason: 'too many incomplete messages' };
      msg = { spans: [], held: 0, last: undefined, contentType: undefined, touchedAt: this.#now() };
      this.#pending.set(messageId, msg);
    }
    msg.touchedAt = this.#now();
    if (range?.total !== undefined) {
      if (msg.last !== undefined && msg.last !== range.total)
        return this.#invalid(messageId, 'total changed');
      msg.last = range.total;
    }
    if (flag === '$') {
      if (msg.last !== undefined && msg.last !== end)
        return this.#invalid(messageId, 'last chunk ends early');
      msg.last = end;
    }
    if (msg.last !== undefined && end > msg.last) return this.#invalid(messageId, 'chunk beyond the total');
    if (contentType !== undefined) msg.contentType ??= contentType;
    if (body.length > 0) {
      const refused = this.#cover(msg, start, body);
      if (refused) {
        this.discard(messageId);
        return { state: 'too-large', reason: refused };
      }
    }
    const whole = this.#assemble(msg);
    if (!whole) return { state: 'partial' };
    this.discard(messageId);
    return { state: 'complete', body: whole, contentType: msg.contentType };
  }

  /** Drop a message (e.g. after an error response), giving its bytes back. */
  discard(messageId: string): void {
    const msg = this.#pending.get(messageId);
    if (!msg) return;
    this.#pending.delete(messageId);
    this.#release(msg.held);
  }

  /** Drop every incomplete message (the session closed). */
  clear(): void {
    for (const id of [...this.#pending.keys()]) this.discard(id);
  }

  #invalid(messageId: string, reason: string): ChunkOutcome {
    this.discard(messageId);
    return { state: 'invalid', reason };
  }

  #release(n: number): void {
    this.#held -= n;
    this.#limits.nodeBudget?.give(n);
  }

  /** Incomplete messages idle for longer than the timeout are dropped. */
  #expire(): void {
    const timeout = this.#limits.incompleteTimeoutMs ?? 120_000;
    const cutoff = this.#now() - timeout;
    for (const [id, msg] of this.#pending) if (msg.touchedAt < cutoff) this.discard(id);
  }

  /**
   * Store the octets of [start, start + data.length - 1] not held yet (a resent or overlapping range adds
   * nothing twice). Returns why it was refused when the new octets exceed the session's or node's budget.
   */
  #cover(msg: PendingMessage, start: number, data: Buffer): string | undefined {
    const end = start + data.length - 1;
    const gaps: Span[] = [];
    let cursor = start;
    for (const s of msg.spans) {
      if (s.end < cursor) continue;
      if (s.start > end) break;
      if (s.start > cursor) gaps.push(slice(data, start, cursor, s.start - 1));
      cursor = Math.max(cursor, s.end + 1);
      if (cursor > end) break;
    }
    if (cursor <= end) gaps.push(slice(data, start, cursor, end));
    const adding = gaps.reduce((n, g) => n + g.data.length, 0);
    if (adding === 0) return undefined;
    if (this.#held + adding > this.#maxSessionBytes) {
      return `incomplete messages would hold ${this.#held + adding} bytes on this session (limit ${this.#maxSessionBytes})`;
    }
    if (this.#limits.nodeBudget && !this.#limits.nodeBudget.take(adding)) {
      return `incomplete messages would exceed the node's limit of ${this.#limits.nodeBudget.max} bytes`;
    }
    this.#held += adding;
    msg.held += adding;
    for (const g of gaps) insertSpan(msg.spans, g);
    return undefined;
  }

  /** The whole body once octets 1..last are all held. */
  #assemble(msg: PendingMessage): Buffer | undefined {
    const last = msg.last;
    if (last === undefined || msg.held < last) return undefined;
    if (last === 0) return Buffer.alloc(0);
    const out = Buffer.allocUnsafe(last);
    for (const s of msg.spans) s.data.copy(out, s.start - 1);
    return out;
  }
}

/** Octets from..to (message positions) of a chunk whose first octet is at `start`, copied so the chunk can go. */
function slice(data: Buffer, start: number, from: number, to: number): Span {
  return { start: from, end: to, data: Buffer.from(data.subarray(from - start, to - start + 1)) };
}

/** Insert a span that overlaps none of `spans`, keeping them sorted (in-order chunks append at the end). */
function insertSpan(spans: Span[], span: Span): void {
  const lastSpan = spans[spans.length - 1];
  if (!lastSpan || lastSpan.end < span.start) {
    spans.push(span);
    return;
  }
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (spans[mid]!.start < span.start) lo = mid + 1;
    else hi = mid;
  }
  spans.splice(lo, 0, span);
}
