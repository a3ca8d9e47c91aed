// Receive-side reassembly of chunked messages (RFC 4975 §7.1.2, §7.3): chunks of several messages may
// interleave on one session and arrive in any order; they are put together per Message-ID.
import type { ByteRange } from './byte-range.js';
import type { ContinuationFlag } from './frame.js';

export interface ReassemblyLimits {
  /** Largest message accepted (the local `a=max-size`, or configuration). */
  maxMessageBytes: number;
  /** Messages that may be incomplete at once on one session. */
  maxPendingMessages: number;
}

export type ChunkOutcome =
  | { state: 'partial' }
  | { state: 'complete'; body: Buffer; contentType: string | undefined }
  /** RFC 4975 §7.1.2: the chunk carried `#`; what was received is discarded. */
  | { state: 'aborted' }
  /** RFC 4975 §7.3: 413, the message is (or claims to be) larger than accepted. */
  | { state: 'too-large' }
  /** The chunk's range is inconsistent with earlier chunks (423 / 400 territory). */
  | { state: 'invalid'; reason: string };

interface Piece {
  start: number;
  data: Buffer;
}

interface PendingMessage {
  pieces: Piece[];
  /** Octets 1..covered have arrived. */
  covered: number;
  /** Pieces beyond a gap, sorted by start; merged into `covered` as the gap fills. */
  ahead: Piece[];
  /** Last octet index once known (from `total` or from the chunk flagged `$`). */
  last: number | undefined;
  contentType: string | undefined;
}

export class Reassembler {
  readonly #limits: ReassemblyLimits;
  readonly #pending = new Map<string, PendingMessage>();

  constructor(limits: ReassemblyLimits) {
    this.#limits = limits;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Add one SEND chunk. `range` undefined means the whole message in one chunk (`1-*\/*`). */
  add(
    messageId: string,
    range: ByteRange | undefined,
    flag: ContinuationFlag,
    body: Buffer,
    contentType: string | undefined,
  ): ChunkOutcome {
    const start = range?.start ?? 1;
    const end = start + body.length - 1;
    let msg = this.#pending.get(messageId);
    if (flag === '#') {
      this.#pending.delete(messageId);
      return { state: 'aborted' };
    }
    const limit = this.#limits.maxMessageBytes;
    if ((range?.total ?? 0) > limit || end > limit) {
      this.#pending.delete(messageId);
      return { state: 'too-large' };
    }
    if (range?.end !== undefined && range.end !== end)
      return { state: 'invalid', reason: 'Byte-Range end does not match the body length' };
    if (!msg) {
      if (this.#pending.size >= this.#limits.maxPendingMessages)
        return { state: 'invalid', reason: 'too many incomplete messages' };
      msg = { pieces: [], covered: 0, ahead: [], last: undefined, contentType: undefined };
      this.#pending.set(messageId, msg);
    }
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
    if (contentType !== undefined) msg.contentType ??= contentType;
    if (body.length > 0) this.#cover(msg, { start, data: body });
    const whole = this.#assemble(msg);
    if (!whole) return { state: 'partial' };
    this.#pending.delete(messageId);
    return { state: 'complete', body: whole, contentType: msg.contentType };
  }

  /** Drop a message (e.g. after an error response). */
  discard(messageId: string): void {
    this.#pending.delete(messageId);
  }

  #invalid(messageId: string, reason: string): ChunkOutcome {
    this.#pending.delete(messageId);
    return { state: 'invalid', reason };
  }

  /** Record a piece and advance the contiguous prefix: O(1) for in-order chunks. */
  #cover(msg: PendingMessage, piece: Piece): void {
    msg.pieces.push(piece);
    if (piece.start > msg.covered + 1) {
      const i = msg.ahead.findIndex((p) => p.start > piece.start);
      msg.ahead.splice(i < 0 ? msg.ahead.length : i, 0, piece);
      return;
    }
    msg.covered = Math.max(msg.covered, piece.start + piece.data.length - 1);
    while (msg.ahead.length > 0 && msg.ahead[0]!.start <= msg.covered + 1) {
      const next = msg.ahead.shift()!;
      msg.covered = Math.max(msg.covered, next.start + next.data.length - 1);
    }
  }

  /** The whole body once octets 1..last are all covered; overlapping resends are tolerated. */
  #assemble(msg: PendingMessage): Buffer | undefined {
    const last = msg.last;
    if (last === undefined || msg.covered < last) return undefined;
    if (last === 0) return Buffer.alloc(0);
    const pieces = msg.pieces.sort((a, b) => a.start - b.start);
    const out = Buffer.allocUnsafe(last);
    let filled = 0; // octets 1..filled of `out` are written
    for (const p of pieces) {
      const from = filled - (p.start - 1); // offset in p.data of the first octet not yet written
      if (from < 0 || from >= p.data.length) continue;
      filled += p.data.copy(out, filled, from, Math.min(p.data.length, from + last - filled));
      if (filled >= last) break;
    }
    return out;
  }
}
