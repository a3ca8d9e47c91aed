import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireTrace, type WireTraceEvent } from '../protocol/trace/index.js';
import { NodeEvents } from './node-events.js';
import {
  DEFAULT_TRACE_CAPACITY,
  DEFAULT_TRACE_MAX_BYTES,
  TraceRecorder,
  type TraceRecord,
  traceLimits,
  traceRecordFromJson,
  traceRecordToJson,
} from './trace-recorder.js';

function sipEvent(n: number, extra: Partial<WireTraceEvent> = {}): WireTraceEvent {
  return {
    time: 1_700_000_000_000 + n,
    protocol: 'sip',
    direction: 'out',
    transport: 'tcp',
    local: { address: '127.0.0.1', port: 5060 },
    remote: { address: '127.0.0.1', port: 40000 + n },
    raw: Buffer.from(`MESSAGE sip:bob@lab SIP/2.0\r\nCall-ID: call-${n}\r\n\r\n`),
    ...extra,
  };
}

const ids = (records: TraceRecord[]) => records.map((r) => r.id);

describe('TraceRecorder', () => {
  it('the ring grows as records come (a quiet node holds little) and always holds the newest records within both bounds, in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 60, max: 4000 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 700 }),
        (capacity, maxBytes, pads) => {
          const recorder = new TraceRecorder({ node: 'n', capacity, maxBytes });
          const model: Array<{ id: number; bytes: number }> = [];
          pads.forEach((pad, i) => {
            const event = sipEvent(i, { raw: Buffer.alloc(40 + pad, 0x61) });
            const record = recorder.record(event);
            model.push({ id: record.id, bytes: event.raw.length });
            if (model.length > capacity) model.shift();
            let bytes = model.reduce((n, m) => n + m.bytes, 0);
            while (bytes > maxBytes && model.length > 1) bytes -= model.shift()!.bytes;
          });
          const page = recorder.query({ limit: capacity });
          expect(ids(page.records)).toEqual(model.map((m) => m.id));
          expect(recorder.size).toBe(model.length);
          expect(recorder.bytes).toBe(model.reduce((n, m) => n + m.bytes, 0));
        },
      ),
    );
  });

  it('every held record gives back exactly its bytes (cut at maxRawBytes) whatever the sizes, after the arena wraps and grows (to maxBytes + 2 * maxRawBytes at most)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1024, max: 6000 }),
        fc.integer({ min: 16, max: 400 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 400 }),
        // ×1: many wraps of a small arena; ×64: records of up to 32 KiB, so that it must grow again and again.
        fc.constantFrom(1, 64),
        (capacity, maxBytesBase, maxRawBase, sizesBase, scale) => {
          const [maxBytes, maxRawBytes] = [maxBytesBase * scale, maxRawBase * scale];
          const sizes = sizesBase.map((size) => size * scale);
          const recorder = new TraceRecorder({ node: 'n', capacity, maxBytes, maxRawBytes });
          const sent = new Map<number, Buffer>();
          sizes.forEach((size, i) => {
            // Bytes unique to this record: a record read from the wrong place shows.
            const raw = Buffer.alloc(size);
            for (let b = 0; b < size; b++) raw[b] = (i * 31 + b * 7) & 0xff;
            sent.set(recorder.record(sipEvent(i, { raw })).id, raw);
            const page = recorder.query({ limit: capacity });
            expect(recorder.arenaBytes).toBeLessThanOrEqual(Math.max(4 * 1024, maxBytes + 2 * maxRawBytes));
            for (const record of page.records) {
              const original = sent.get(record.id)!;
              expect(record.rawLength).toBe(original.length);
              expect(record.raw.equals(original.subarray(0, maxRawBytes))).toBe(true);
            }
          });
        },
      ),
      {
        numRuns: 100,
        // The arena grows while its oldest record is not at its start: moved bytes.
        examples: [[2, 2000, 400, [160, 320, 480, 500, 100, 500, 500], 64]],
      },
    );
  });

  it('records WireTrace events with monotonic ids, node, start line and Call-ID', () => {
    const wire = new WireTrace();
    const recorder = new TraceRecorder({ node: 'cscf' });
    recorder.attach(wire);
    wire.publish(sipEvent(1));
    wire.publish({
      ...sipEvent(2),
      protocol: 'msrp',
      direction: 'in',
      raw: Buffer.from('MSRP tx123456 SEND\r\n-------tx123456$\r\n'),
    });
    const { records, latestId, oldestId, missed } = recorder.query();
    expect({ latestId, oldestId, missed }).toEqual({ latestId: 2, oldestId: 1, missed: 0 });
    expect(records[0]).toMatchObject({
      id: 1,
      node: 'cscf',
      protocol: 'sip',
      direction: 'out',
      transport: 'tcp',
      startLine: 'MESSAGE sip:bob@lab SIP/2.0',
      callId: 'call-1',
      remote: { address: '127.0.0.1', port: 40001 },
    });
    expect(records[1]).toMatchObject({ id: 2, protocol: 'msrp', msrpTransactionId: 'tx123456' });
    expect(records[1]!.callId).toBeUndefined();
  });

  it('keeps a private copy of the bytes and cuts them at maxRawBytes', () => {
    const recorder = new TraceRecorder({ node: 'pf', maxRawBytes: 10 });
    const raw = Buffer.from('MSRP abcd1234 SEND\r\n\r\n');
    const record = recorder.record({ ...sipEvent(1), protocol: 'msrp', raw });
    raw.fill(0);
    expect(record.raw.toString()).toBe('MSRP abcd1');
    expect(record.rawLength).toBe(22);
    expect(record.startLine).toBe('MSRP abcd1234 SEND');
  });

  it('is a ring buffer bounded by capacity; since/limit page through it and report evictions', () => {
    const recorder = new TraceRecorder({ node: 'n', capacity: 5 });
    for (let i = 1; i <= 12; i++) recorder.record(sipEvent(i));
    expect(recorder.size).toBe(5);
    expect(ids(recorder.query().records)).toEqual([8, 9, 10, 11, 12]);
    expect(ids(recorder.query({ limit: 2 }).records)).toEqual([11, 12]);
    expect(ids(recorder.query({ since: 9, limit: 2 }).records)).toEqual([10, 11]);
    expect(recorder.query({ since: 12 }).records).toEqual([]);
    const behind = recorder.query({ since: 3, limit: 2 });
    expect(ids(behind.records)).toEqual([8, 9]);
    expect(behind.missed).toBe(4);
    // An id from an earlier run of the node (beyond latestId) replays everything held.
    expect(ids(recorder.query({ since: 99 }).records)).toEqual([8, 9, 10, 11, 12]);
  });

  it('is bounded by total bytes too', () => {
    const recorder = new TraceRecorder({ node: 'n', maxBytes: 100 });
    for (let i = 0; i < 10; i++) recorder.record({ ...sipEvent(i), raw: Buffer.alloc(30, 0x41) });
    expect(recorder.size).toBe(3);
    expect(recorder.bytes).toBe(90);
    recorder.record({ ...sipEvent(99), raw: Buffer.alloc(500, 0x41) });
    expect(recorder.size).toBe(1);
  });

  it('property: query returns exactly the held ids after since, oldest first, at most limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 60 }),
        fc.option(fc.integer({ min: 0, max: 70 }), { nil: undefined }),
        fc.integer({ min: 1, max: 30 }),
        (capacity, count, since, limit) => {
          const recorder = new TraceRecorder({ node: 'n', capacity });
          for (let i = 1; i <= count; i++) recorder.record(sipEvent(i));
          const held = Array.from(
            { length: Math.min(count, capacity) },
            (_, i) => count - Math.min(count, capacity) + 1 + i,
          );
          const effectiveSince = since !== undefined && since > count ? 0 : since;
          const expected =
            effectiveSince === undefined
              ? held.slice(-Math.min(limit, capacity))
              : held.filter((id) => id > effectiveSince).slice(0, Math.min(limit, capacity));
          const page = recorder.query({ since, limit });
          expect(ids(page.records)).toEqual(expected);
          for (const r of page.records) expect(r.callId).toBe(`call-${r.id}`);
        },
      ),
    );
  });

  it('live subscription, detach, and JSON round trip with base64 raw', () => {
    const wire = new WireTrace();
    const recorder = new TraceRecorder({ node: 'alice' });
    const seen: number[] = [];
    const unsubscribe = recorder.subscribe((r) => seen.push(r.id));
    const detach = recorder.attach(wire);
    wire.publish(sipEvent(1));
    unsubscribe();
    wire.publish(sipEvent(2));
    detach();
    wire.publish(sipEvent(3));
    expect(seen).toEqual([1]);
    expect(recorder.latestId).toBe(2);
    expect(wire.active).toBe(false);
    const record = recorder.query().records[0]!;
    const json = traceRecordToJson(record);
    expect(json.raw).toBe(record.raw.toString('base64'));
    expect(traceRecordFromJson(JSON.parse(JSON.stringify(json)))).toEqual(record);
  });

  it('close() detaches from every trace; clear() empties but ids keep counting', () => {
    const a = new WireTrace();
    const b = new WireTrace();
    const recorder = new TraceRecorder({ node: 'n' });
    recorder.attach(a);
    recorder.attach(b);
    a.publish(sipEvent(1));
    b.publish(sipEvent(2));
    recorder.close();
    expect(a.active || b.active).toBe(false);
    recorder.clear();
    expect(recorder.size).toBe(0);
    expect(recorder.record(sipEvent(3)).id).toBe(3);
    expect(recorder.query({ since: 0 }).missed).toBe(2);
  });
});

describe('NodeEvents', () => {
  it('fans out numbered events; a throwing listener does not stop the others', () => {
    const events = new NodeEvents('pf', () => 5);
    const got: unknown[] = [];
    events.subscribe(() => {
      throw new Error('bad listener');
    });
    const off = events.subscribe((e) => got.push(e));
    expect(events.emit('group-created', { id: 'g1' })).toEqual({
      seq: 1,
      time: 5,
      node: 'pf',
      type: 'group-created',
      data: { id: 'g1' },
    });
    off();
    events.emit('ignored');
    expect(got).toHaveLength(1);
    expect(events.listenerCount).toBe(1);
  });
});

describe('traceLimits: every node keeps a configurable amount of its wire', () => {
  it('defaults, environment, flags over environment, and named errors', () => {
    expect(traceLimits({}, {})).toEqual({
      capacity: DEFAULT_TRACE_CAPACITY,
      maxBytes: DEFAULT_TRACE_MAX_BYTES,
    });
    expect(traceLimits({}, { CPM_LAB_TRACE_MAX_RECORDS: '500', CPM_LAB_TRACE_MAX_BYTES: '1048576' })).toEqual(
      {
        capacity: 500,
        maxBytes: 1_048_576,
      },
    );
    expect(traceLimits({ traceMaxBytes: '2048' }, { CPM_LAB_TRACE_MAX_BYTES: '1048576' }).maxBytes).toBe(
      2048,
    );
    expect(() => traceLimits({ traceMaxRecords: '0' }, {})).toThrow(/--trace-max-records/);
    expect(() => traceLimits({}, { CPM_LAB_TRACE_MAX_BYTES: 'lots' })).toThrow(/CPM_LAB_TRACE_MAX_BYTES/);
  });

  it('a recorder built from them holds at most that many bytes (the oldest records go)', () => {
    const recorder = new TraceRecorder({ node: 'n', ...traceLimits({ traceMaxBytes: '4096' }, {}) });
    for (let i = 0; i < 100; i++) recorder.record(sipEvent(i, { raw: Buffer.alloc(1000, 0x61) }));
    const held = recorder.query({ limit: 1000 }).records;
    expect(held.reduce((n, r) => n + r.raw.length, 0)).toBeLessThanOrEqual(4096);
    expect(held.at(-1)!.id).toBe(100);
  });
});
