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
import { summarizeWire } from './wire-summary.js';

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

export class TraceRecorder {
  readonly node: string;
  readonly capacity: number;
  readonly maxBytes: number;
  readonly maxRawBytes: number;
  /** A ring of records; it starts small and doubles up to `capacity` (a quiet node holds little). */
  #slots: (TraceRecord | undefined)[];
  readonly #fanout = new Fanout<TraceRecord>();
  readonly #detachers = new Set<() => void>();
  #head = 0; // slot index of the oldest record
  #size = 0;
  #latestId = 0;
  #bytes = 0;

  constructor(options: TraceRecorderOptions) {
    const capacity = options.capacity ?? DEFAULT_TRACE_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`TraceRecorder capacity must be a positive integer (got ${capacity})`);
    }
    this.node = options.node;
    this.capacity = capacity;
    this.maxBytes = options.maxBytes ?? DEFAULT_TRACE_MAX_BYTES;
    this.maxRawBytes = options.maxRawBytes ?? DEFAULT_TRACE_MAX_RAW_BYTES;
    this.#slots = new Array<TraceRecord | undefined>(Math.min(capacity, INITIAL_SLOTS));
  }

  /** Record every event published on `trace` until the returned function (or close()) is called. */
  attach(trace: WireTrace): () => void {
    const unsubscribe = trace.subscribe((event) => {
      this.record(event);
    });
    const detach = (): void => {
      unsubscribe();
      this.#detachers.delete(detach);
    };
    this.#detachers.add(detach);
    return detach;
  }

  record(event: WireTraceEvent): TraceRecord {
    const summary = summarizeWire(event.protocol, event.raw);
    const kept = event.raw.length > this.maxRawBytes ? event.raw.subarray(0, this.maxRawBytes) : event.raw;
    const record: TraceRecord = {
      id: ++this.#latestId,
      time: event.time,
      node: this.node,
      protocol: event.protocol,
      direction: event.direction,
      transport: event.transport,
      local: { address: event.local.address, port: event.local.port },
      remote: { address: event.remote.address, port: event.remote.port },
      ...summary,
      // A copy: the stack may reuse its buffer, and a slice would pin a whole socket read buffer.
      raw: Buffer.from(kept),
      rawLength: event.raw.length,
    };
    this.#push(record);
    this.#fanout.publish(record);
    return record;
  }

  #push(record: TraceRecord): void {
    if (this.#size === this.capacity) this.#evictOldest();
    else if (this.#size === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#size) % this.#slots.length] = record;
    this.#size++;
    this.#bytes += record.raw.length;
    while (this.#bytes > this.maxBytes && this.#size > 1) this.#evictOldest();
  }

  #evictOldest(): void {
    const oldest = this.#slots[this.#head]!;
    this.#slots[this.#head] = undefined;
    this.#bytes -= oldest.raw.length;
    this.#head = (this.#head + 1) % this.#slots.length;
    this.#size--;
  }

  /** Double the ring (at most to `capacity`), oldest record first. */
  #grow(): void {
    const next = new Array<TraceRecord | undefined>(Math.min(this.capacity, this.#slots.length * 2));
    for (let i = 0; i < this.#size; i++) next[i] = this.#slots[(this.#head + i) % this.#slots.length];
    this.#slots = next;
    this.#head = 0;
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
    for (let id = from; id <= to; id++) {
      records.push(this.#slots[(this.#head + (id - oldestId)) % this.#slots.length]!);
    }
    return { records, latestId, oldestId, missed };
  }

  /** Live records, in id order, from now on. */
  subscribe(listener: Listener<TraceRecord>): () => void {
    return this.#fanout.subscribe(listener);
  }

  /** Drop all held records (ids keep counting). */
  clear(): void {
    this.#slots = new Array<TraceRecord | undefined>(Math.min(this.capacity, INITIAL_SLOTS));
    this.#head = 0;
    this.#size = 0;
    this.#bytes = 0;
  }

  /** Detach from every attached WireTrace. */
  close(): void {
    for (const detach of [...this.#detachers]) detach();
  }
}
