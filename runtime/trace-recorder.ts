// Trace store: records every WireTraceEvent of a node in a bounded ring buffer (by count and by
// bytes), with monotonic ids for paging (`since`) and SSE resumption (Last-Event-ID), and live fan-out.

import type {
  WireAddress,
  WireDirection,
  WireProtocol,
  WireTrace,
  WireTraceEvent,
  WireTransport,
} from '../protocol/trace/index.js';
import { type Env, envInt, flag } from './config.js';
import { Fanout, type Listener } from './fanout.js';
import { summarizeWire, type WireSummary } from './wire-summary.js';

export const DEFAULT_TRACE_CAPACITY = 10_000;
export const DEFAULT_TRACE_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_TRACE_MAX_RAW_BYTES = 256 * 1024;
export const DEFAULT_TRACE_QUERY_LIMIT = 1000;

export interface TraceRecord {
  /** Monotonic per recorder, from 1, without gaps. */
  id: number;
  time: number;
  node: string;
  protocol: WireProtocol;
  direction: WireDirection;
  transport: WireTransport;
  local: WireAddress;
  remote: WireAddress;
  startLine: string;
  /** SIP Call-ID (RFC 3261 §20.8). */
  callId?: string;
  /** MSRP transaction id from the start line (RFC 4975 §7.1). */
  msrpTransactionId?: string;
  /** The bytes on the wire (a private copy), cut at the recorder's maxRawBytes. */
  raw: Buffer;
  /** Length of the original message; greater than raw.length when raw was cut. */
  rawLength: number;
}

/** A TraceRecord as sent over the control API: raw is base64. */
export type TraceRecordJson = Omit<TraceRecord, 'raw'> & { raw: string };

export function traceRecordToJson(record: TraceRecord): TraceRecordJson {
  return { ...record, raw: record.raw.toString('base64') };
}

export function traceRecordFromJson(json: TraceRecordJson): TraceRecord {
  return { ...json, raw: Buffer.from(json.raw, 'base64') };
}

export interface TraceQuery {
  /** Only records with id > since; when since exceeds latestId (the node restarted) it counts as 0. */
  since?: number;
  /** At most this many records (default 1000, at most the capacity). */
  limit?: number;
}

export interface TracePage {
  /** Oldest first. With `since`: the first `limit` records after it; without: the last `limit`. */
  records: TraceRecord[];
  /** Id of the newest record ever recorded (0 if none). */
  latestId: number;
  /** Id of the oldest record still held (latestId + 1 when empty). */
  oldestId: number;
  /** Records after `since` that were already evicted from the ring and cannot be returned. */
  missed: number;
}

/** How much of its wire a node keeps (every node: `--trace-max-records`, `--trace-max-bytes`). */
export interface TraceLimits {
  /** Records held at most. */
  capacity: number;
  /** Raw bytes held at most; the oldest records go first. */
  maxBytes: number;
}

/** The trace limits of a node: flags, else CPM_LAB_TRACE_MAX_RECORDS / CPM_LAB_TRACE_MAX_BYTES, else the defaults. */
export function traceLimits(
  flags: { traceMaxRecords?: string; traceMaxBytes?: string } = {},
  env: Env = process.env,
): TraceLimits {
  return {
    capacity: envInt('CPM_LAB_TRACE_MAX_RECORDS', {
      env,
      flag: flag('--trace-max-records', flags.traceMaxRecords),
      default: DEFAULT_TRACE_CAPACITY,
      min: 1,
      max: 10_000_000,
    }),
    maxBytes: envInt('CPM_LAB_TRACE_MAX_BYTES', {
      env,
      flag: flag('--trace-max-bytes', flags.traceMaxBytes),
      default: DEFAULT_TRACE_MAX_BYTES,
      min: 1024,
    }),
  };
}

export interface TraceRecorderOptions {
  node: string;
  /** Maximum number of records held (default 10 000). */
  capacity?: number;
  /** Maximum total raw bytes held (default 64 MiB); the oldest records go first. */
  maxBytes?: number;
  /** Raw bytes kept per record (default 256 KiB); the rest is cut, rawLength tells the original. */
  maxRawBytes?: number;
}

/** Slots a new recorder allocates; the ring doubles as records come. */
const INITIAL_SLOTS = 64;
/** Bytes of a new recorder's arena; it doubles as records need. */
const INITIAL_ARENA = 4 * 1024;

const PROTOCOLS: readonly WireProtocol[] = ['sip', 'msrp'];
const DIRECTIONS: readonly WireDirection[] = ['in', 'out'];
const TRANSPORTS: readonly WireTransport[] = ['udp', 'tcp'];

/**
 * A node's wire, held without an object per message: a busy node records every message it sends and
 * receives, and a ring of 10,000 record objects with a Buffer each was promoted and collected again and again
 * (a proxy under load spent ~10% of its CPU on it, and its malloc heap grew by the Buffers' 64 MB external
 * budget). Each record is a slot of typed columns (time, lengths, where its bytes are, its kind) and references
 * to its endpoints (shared, read-only objects); its bytes are copied into one arena, a circular byte buffer
 * that doubles when a record does not fit. A TraceRecord (with its own copy of the bytes, start line and
 * Call-ID) is made only when asked for: a query, a live subscriber, `record()`'s result.
 */
export class TraceRecorder {
  readonly node: string;
  readonly capacity: number;
  readonly maxBytes: number;
  readonly maxRawBytes: number;
  readonly #fanout = new Fanout<TraceRecord>();
  readonly #detachers = new Set<() => void>();
  // The ring of slots: it starts small and doubles up to `capacity` (a quiet node holds little).
  #slotCount = INITIAL_SLOTS;
  #time = new Float64Array(INITIAL_SLOTS);
  #rawLength = new Float64Array(INITIAL_SLOTS);
  /** Where the slot's bytes start in the arena, and how many (raw cut at maxRawBytes); doubles, no 4 GiB cap. */
  #offset = new Float64Array(INITIAL_SLOTS);
  #kept = new Float64Array(INITIAL_SLOTS);
  /** protocol | direction << 1 | transport << 2 (indexes into PROTOCOLS, DIRECTIONS, TRANSPORTS). */
  #kind = new Uint8Array(INITIAL_SLOTS);
  #local: (WireAddress | undefined)[] = new Array(INITIAL_SLOTS);
  #remote: (WireAddress | undefined)[] = new Array(INITIAL_SLOTS);
  #head = 0; // slot index of the oldest record
  #size = 0;
  #latestId = 0;
  #bytes = 0;
  // The arena: records' bytes in record order, from the oldest's offset to #tail, wrapping at its end.
  #arena = Buffer.allocUnsafeSlow(INITIAL_ARENA);
  #tail = 0;
  /** Start line and Call-ID of the records whose bytes were cut (read from the whole message), by id. */
  readonly #cutSummaries = new Map<number, WireSummary>();

  constructor(options: TraceRecorderOptions) {
    const capacity = options.capacity ?? DEFAULT_TRACE_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`TraceRecorder capacity must be a positive integer (got ${capacity})`);
    }
    this.node = options.node;
    this.capacity = capacity;
    this.maxBytes = options.maxBytes ?? DEFAULT_TRACE_MAX_BYTES;
    this.maxRawBytes = options.maxRawBytes ?? DEFAULT_TRACE_MAX_RAW_BYTES;
    if (capacity < INITIAL_SLOTS) this.#resizeSlots(capacity);
  }

  /** Record every event published on `trace` until the returned function (or close()) is called. */
  attach(trace: WireTrace): () => void {
    const unsubscribe = trace.subscribe((event) => {
      this.#store(event);
      if (this.#fanout.size > 0) this.#fanout.publish(this.#materialize(this.#latestId));
    });
    const detach = (): void => {
      unsubscribe();
      this.#detachers.delete(detach);
    };
    this.#detachers.add(detach);
    return detach;
  }

  /** Record one event (as `attach` does for each) and return it as a TraceRecord. */
  record(event: WireTraceEvent): TraceRecord {
    this.#store(event);
    const record = this.#materialize(this.#latestId);
    this.#fanout.publish(record);
    return record;
  }

  #store(event: WireTraceEvent): void {
    const raw = event.raw;
    const n = Math.min(raw.length, this.maxRawBytes);
    // Both bounds hold after this record: the count, and the bytes unless it alone exceeds them.
    if (this.#size === this.capacity) this.#evictOldest();
    while (this.#size > 0 && this.#bytes + n > this.maxBytes) this.#evictOldest();
    if (this.#size === this.#slotCount) this.#resizeSlots(Math.min(this.capacity, this.#slotCount * 2));
    const slot = (this.#head + this.#size) % this.#slotCount;
    const offset = this.#place(n);
    raw.copy(this.#arena, offset, 0, n);
    this.#time[slot] = event.time;
    this.#rawLength[slot] = raw.length;
    this.#offset[slot] = offset;
    this.#kept[slot] = n;
    this.#kind[slot] =
      PROTOCOLS.indexOf(event.protocol) |
      (DIRECTIONS.indexOf(event.direction) << 1) |
      (TRANSPORTS.indexOf(event.transport) << 2);
    this.#local[slot] = event.local;
    this.#remote[slot] = event.remote;
    this.#size++;
    this.#latestId++;
    this.#bytes += n;
    if (n < raw.length) this.#cutSummaries.set(this.#latestId, summarizeWire(event.protocol, raw));
  }

  /** An arena offset with `n` free bytes after it, behind the newest record (the arena grows if none). */
  #place(n: number): number {
    const size = this.#arena.length;
    if (this.#size === 0) this.#tail = 0;
    const head = this.#size === 0 ? 0 : this.#offset[this.#head]!;
    const wrapped = this.#size > 0 && this.#tail <= head;
    // Behind the newest record; else, wrapping, at the start (the gap at the end stays unused until the ring
    // passes it); else between the newest and the oldest; else in a bigger arena.
    let offset: number;
    if (!wrapped && size - this.#tail >= n) offset = this.#tail;
    else if (!wrapped && head >= n) offset = 0;
    else if (wrapped && head - this.#tail >= n) offset = this.#tail;
    else offset = this.#grow(n);
    this.#tail = offset + n;
    return offset;
  }

  /**
   * A bigger arena with the held records' bytes at its start, in order; returns where `n` more bytes go. It
   * never needs more than maxBytes + 2 * maxRawBytes: with at most maxBytes held (n included) and records of at
   * most maxRawBytes, n contiguous bytes are then always free (at the end, at the start, or between).
   */
  #grow(n: number): number {
    let size = this.#arena.length * 2;
    while (size < 2 * (this.#bytes + n)) size *= 2;
    size = Math.max(Math.min(size, this.maxBytes + 2 * this.maxRawBytes), this.#bytes + n);
    const arena = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) % this.#slotCount;
      const offset = this.#offset[slot]!;
      const kept = this.#kept[slot]!;
      this.#arena.copy(arena, at, offset, offset + kept);
      this.#offset[slot] = at;
      at += kept;
    }
    this.#arena = arena;
    return at;
  }

  #evictOldest(): void {
    if (this.#cutSummaries.size > 0) this.#cutSummaries.delete(this.oldestId);
    this.#bytes -= this.#kept[this.#head]!;
    this.#local[this.#head] = undefined;
    this.#remote[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#slotCount;
    this.#size--;
  }

  /** The ring at `count` slots (at least #size), oldest record first. */
  #resizeSlots(count: number): void {
    const order = (i: number) => (this.#head + i) % this.#slotCount;
    const time = new Float64Array(count);
    const rawLength = new Float64Array(count);
    const offset = new Float64Array(count);
    const kept = new Float64Array(count);
    const kind = new Uint8Array(count);
    const local = new Array<WireAddress | undefined>(count);
    const remote = new Array<WireAddress | undefined>(count);
    for (let i = 0; i < this.#size; i++) {
      const from = order(i);
      time[i] = this.#time[from]!;
      rawLength[i] = this.#rawLength[from]!;
      offset[i] = this.#offset[from]!;
      kept[i] = this.#kept[from]!;
      kind[i] = this.#kind[from]!;
      local[i] = this.#local[from];
      remote[i] = this.#remote[from];
    }
    this.#time = time;
    this.#rawLength = rawLength;
    this.#offset = offset;
    this.#kept = kept;
    this.#kind = kind;
    this.#local = local;
    this.#remote = remote;
    this.#slotCount = count;
    this.#head = 0;
  }

  /** The held record `id` as a TraceRecord with its own copy of the bytes. */
  #materialize(id: number): TraceRecord {
    const slot = (this.#head + (id - this.oldestId)) % this.#slotCount;
    const offset = this.#offset[slot]!;
    const raw = Buffer.from(this.#arena.subarray(offset, offset + this.#kept[slot]!));
    const kind = this.#kind[slot]!;
    const protocol = PROTOCOLS[kind & 1]!;
    const local = this.#local[slot]!;
    const remote = this.#remote[slot]!;
    return {
      id,
      time: this.#time[slot]!,
      node: this.node,
      protocol,
      direction: DIRECTIONS[(kind >> 1) & 1]!,
      transport: TRANSPORTS[(kind >> 2) & 1]!,
      local: { address: local.address, port: local.port },
      remote: { address: remote.address, port: remote.port },
      ...(this.#cutSummaries.get(id) ?? summarizeWire(protocol, raw)),
      raw,
      rawLength: this.#rawLength[slot]!,
    };
  }

  get size(): number {
    return this.#size;
  }

  get latestId(): number {
    return this.#latestId;
  }

  get oldestId(): number {
    return this.#latestId - this.#size + 1;
  }

  /** Bytes the arena takes (what is held, and room): at most maxBytes + 2 * maxRawBytes, 4 KiB at first. */
  get arenaBytes(): number {
    return this.#arena.length;
  }

  /** Raw bytes currently held. */
  get bytes(): number {
    return this.#bytes;
  }

  get listenerCount(): number {
    return this.#fanout.size;
  }

  query(query: TraceQuery = {}): TracePage {
    const limit = Math.max(1, Math.min(Math.floor(query.limit ?? DEFAULT_TRACE_QUERY_LIMIT), this.capacity));
    const oldestId = this.oldestId;
    const latestId = this.#latestId;
    let from: number; // first id to return
    let missed = 0;
    if (query.since === undefined) {
      from = Math.max(oldestId, latestId - limit + 1);
    } else {
      const since = query.since > latestId ? 0 : Math.max(0, Math.floor(query.since));
      from = Math.max(since + 1, oldestId);
      missed = Math.max(0, oldestId - 1 - since);
    }
    const to = Math.min(latestId, from + limit - 1);
    const records: TraceRecord[] = [];
    for (let id = from; id <= to; id++) records.push(this.#materialize(id));
    return { records, latestId, oldestId, missed };
  }

  /** Live records, in id order, from now on. */
  subscribe(listener: Listener<TraceRecord>): () => void {
    return this.#fanout.subscribe(listener);
  }

  /** Drop all held records (ids keep counting). */
  clear(): void {
    this.#size = 0;
    this.#head = 0;
    this.#bytes = 0;
    this.#resizeSlots(Math.min(this.capacity, INITIAL_SLOTS));
    this.#arena = Buffer.allocUnsafeSlow(INITIAL_ARENA);
    this.#tail = 0;
    this.#cutSummaries.clear();
  }

  /** Detach from every attached WireTrace. */
  close(): void {
    for (const detach of [...this.#detachers]) detach();
  }
}
