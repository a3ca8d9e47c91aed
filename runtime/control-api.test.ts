import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WireTrace, type WireTraceEvent } from '../protocol/trace/index.js';
import {
  type ControlApiOptions,
  createControlApi,
  type ErrorResponse,
  type HealthResponse,
  type TraceResponse,
} from './control-api.js';
import { ListenError, startControlServer, type ControlServer } from './control-server.js';
import { createLogger } from './logger.js';
import { NodeEvents } from './node-events.js';
import { sseHubOf } from './sse.js';
import { readSse, type SseEvent, type SseItem, SseParser } from './sse-parser.js';
import type { SseStream } from './sse.js';
import { TraceRecorder, type TraceRecordJson } from './trace-recorder.js';
import { requireString } from './validate.js';

function sip(n: number): WireTraceEvent {
  return {
    time: 1_700_000_000_000 + n,
    protocol: 'sip',
    direction: 'in',
    transport: 'udp',
    local: { address: '127.0.0.1', port: 5060 },
    remote: { address: '127.0.0.1', port: 5070 },
    raw: Buffer.from(`REGISTER sip:lab SIP/2.0\r\nCall-ID: reg-${n}\r\n\r\n`),
  };
}

interface Harness {
  server: ControlServer;
  wire: WireTrace;
  trace: TraceRecorder;
  events: NodeEvents;
  logs: string[];
  app: ReturnType<typeof createControlApi>;
}

const open: ControlServer[] = [];

async function start(overrides: Partial<ControlApiOptions> & { capacity?: number } = {}): Promise<Harness> {
  const logs: string[] = [];
  const logger = createLogger('alice', { level: 'debug', env: {}, write: (l) => logs.push(l) });
  const wire = new WireTrace();
  const trace = new TraceRecorder({ node: 'alice', capacity: overrides.capacity });
  trace.attach(wire);
  const events = new NodeEvents('alice');
  let registered = false;
  const app = createControlApi({
    node: 'alice',
    logger,
    trace,
    events,
    state: async () => ({ registered }),
    routes: (r) => {
      r.post('/offline', (req, res) => {
        const mode = requireString(req.body, 'mode', ['deregister', 'drop']);
        registered = false;
        res.json({ ok: true, mode });
      });
      r.get('/boom', () => {
        throw new Error('secret internals');
      });
    },
    ...overrides,
  });
  const server = await startControlServer(app, { port: 0, logger });
  open.push(server);
  return { server, wire, trace, events, logs, app };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** An SSE client over fetch: items are read on demand, waiting on the stream, never on time. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(`${url}/events`, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const items = readSse(res.body!)[Symbol.asyncIterator]();
  return {
    async next(match: (item: SseItem) => boolean = (i) => i.kind === 'event'): Promise<SseItem> {
      for (;;) {
        const { value, done } = await items.next();
        if (done) throw new Error('event stream ended');
        if (match(value)) return value;
      }
    },
    async event(): Promise<SseEvent> {
      return (await this.next()) as SseEvent;
    },
    async ended(): Promise<boolean> {
      for (;;) {
        const { done } = await items.next();
        if (done) return true;
      }
    },
    async close(): Promise<void> {
      // A generator that never started does not run its finally block: abort the request itself.
      abort.abort();
      await items.return?.();
    },
  };
}

describe('control API', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await start();
  });

  it('binds 127.0.0.1 on an ephemeral port by default', () => {
    expect(h.server.host).toBe('127.0.0.1');
    expect(h.server.port).toBeGreaterThan(0);
    expect(h.server.url).toBe(`http://127.0.0.1:${h.server.port}`);
  });

  it('GET /health answers status, node and uptime', async () => {
    const res = await fetch(`${h.server.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HealthResponse;
    expect(body).toMatchObject({ status: 'ok', node: 'alice' });
    expect(body.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it("GET /state answers the node's (async) state as JSON", async () => {
    const res = await fetch(`${h.server.url}/state`);
    expect(await res.json()).toEqual({ registered: false });
  });

  it('GET /trace returns records with base64 raw, since/limit paging', async () => {
    for (let i = 1; i <= 4; i++) h.wire.publish(sip(i));
    const all = (await (await fetch(`${h.server.url}/trace`)).json()) as TraceResponse;
    expect(all).toMatchObject({ node: 'alice', latestId: 4, oldestId: 1, missed: 0 });
    const first = all.records[0] as TraceRecordJson;
    expect(first).toMatchObject({
      id: 1,
      node: 'alice',
      startLine: 'REGISTER sip:lab SIP/2.0',
      callId: 'reg-1',
    });
    expect(Buffer.from(first.raw, 'base64').toString()).toBe(sip(1).raw.toString());
    const page = (await (await fetch(`${h.server.url}/trace?since=1&limit=2`)).json()) as TraceResponse;
    expect(page.records.map((r: TraceRecordJson) => r.id)).toEqual([2, 3]);
  });

  it('GET /trace: the ring buffer bound holds over HTTP, and evictions are reported', async () => {
    const small = await start({ capacity: 3 });
    for (let i = 1; i <= 7; i++) small.wire.publish(sip(i));
    const body = (await (await fetch(`${small.server.url}/trace?since=2`)).json()) as TraceResponse;
    expect(body.records.map((r: TraceRecordJson) => r.id)).toEqual([5, 6, 7]);
    expect(body).toMatchObject({ latestId: 7, oldestId: 5, missed: 2 });
    const tooMany = await fetch(`${small.server.url}/trace?limit=4`);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toEqual({ error: 'query parameter "limit" must be at most 3, got 4' });
  });

  it('GET /trace rejects bad query parameters with 400 and a message', async () => {
    const res = await fetch(`${h.server.url}/trace?since=abc`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'query parameter "since" must be a non-negative integer, got "abc"',
    });
  });

  it('validation: 400 with a message naming the field', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${h.server.url}/offline`, { method: 'POST', headers: { 'content-type': type }, body });
    const bad = await post(JSON.stringify({ mode: 'explode' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: '"mode" must be one of deregister, drop, got "explode"' });
    const missing = await post('{}');
    expect(await missing.json()).toEqual({ error: '"mode" is required (one of deregister, drop)' });
    // A form body never changes state (api-guard: no cross-site form POSTs).
    const notJson = await post('mode=drop', 'application/x-www-form-urlencoded');
    expect(notJson.status).toBe(415);
    expect(((await notJson.json()) as ErrorResponse).error).toMatch(/JSON body/);
    const ok = await post(JSON.stringify({ mode: 'drop' }));
    expect(await ok.json()).toEqual({ ok: true, mode: 'drop' });
  });

  it('malformed JSON body → 400 JSON; oversized body → 413 JSON', async () => {
    const res = await fetch(`${h.server.url}/offline`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"mode": ',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await res.json()) as ErrorResponse).error).toMatch(/^malformed JSON body: /);
    const big = await fetch(`${h.server.url}/offline`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'x'.repeat(70_000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: 'request body larger than the limit of 64kb' });
  });

  it('unknown routes → 404 JSON', async () => {
    const res = await fetch(`${h.server.url}/nope?x=1`, { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'no route for DELETE /nope' });
  });

  it('handler errors → 500 JSON without internals; the error is logged server-side', async () => {
    const res = await fetch(`${h.server.url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'internal error' });
    expect(text).not.toContain('secret');
    expect(
      h.logs.some((l) => l.includes('ERROR') && l.includes('secret internals') && l.includes('stack=')),
    ).toBe(true);
  });

  it('GET /events delivers a trace record published after connecting', async () => {
    const client = await connect(h.server.url);
    h.wire.publish(sip(1));
    const event = await client.event();
    expect(event.event).toBe('trace');
    expect(event.id).toBe('1');
    const record = JSON.parse(event.data) as TraceRecordJson;
    expect(record).toMatchObject({ id: 1, node: 'alice', callId: 'reg-1', protocol: 'sip' });
    expect(Buffer.from(record.raw, 'base64')).toEqual(sip(1).raw);
    await client.close();
  });

  it('GET /events interleaves node events with trace records in order, node events carry no id', async () => {
    const client = await connect(h.server.url);
    h.wire.publish(sip(1));
    h.events.emit('registration-changed', { registered: true });
    h.wire.publish(sip(2));
    const a = await client.event();
    const b = await client.event();
    const c = await client.event();
    expect([a.event, b.event, c.event]).toEqual(['trace', 'node', 'trace']);
    expect(JSON.parse(b.data)).toMatchObject({
      seq: 1,
      node: 'alice',
      type: 'registration-changed',
      data: { registered: true },
    });
    expect(b.id).toBe('1'); // the last event ID stays that of the last trace record
    expect(c.id).toBe('2');
    await client.close();
  });

  it('GET /events honours Last-Event-ID: replays later trace records, then goes live', async () => {
    for (let i = 1; i <= 3; i++) h.wire.publish(sip(i));
    const client = await connect(h.server.url, { 'Last-Event-ID': '1' });
    expect((await client.event()).id).toBe('2');
    expect((await client.event()).id).toBe('3');
    h.wire.publish(sip(4));
    expect((await client.event()).id).toBe('4');
    await client.close();
    const bad = await fetch(`${h.server.url}/events`, { headers: { 'Last-Event-ID': 'x' } });
    expect(bad.status).toBe(400);
  });

  it('GET /events tells a client that resumes too late how many records it missed', async () => {
    const small = await start({ capacity: 2 });
    for (let i = 1; i <= 5; i++) small.wire.publish(sip(i));
    const client = await connect(small.server.url, { 'Last-Event-ID': '1' });
    const gap = await client.event();
    expect(gap.event).toBe('trace-gap');
    expect(JSON.parse(gap.data)).toEqual({ missed: 2, from: 2, to: 3 });
    expect((await client.event()).id).toBe('4');
    expect((await client.event()).id).toBe('5');
    await client.close();
  });

  it('GET /events paces a slow client from the ring buffer: bounded server buffer, nothing lost', async () => {
    const socket = tcpConnect({ host: '127.0.0.1', port: h.server.port });
    const opened = once(sseHubOf(h.app), 'open') as Promise<[SseStream]>;
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const [stream] = await opened;
    socket.pause();
    const big = Buffer.alloc(4096, 0x41);
    for (let i = 1; i <= 2000; i++) h.wire.publish({ ...sip(i), raw: Buffer.concat([sip(i).raw, big]) });
    // Let the scheduled pump run (event-loop turns, not time).
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(stream.res.writableLength).toBeLessThan(256 * 1024);
    const parser = new SseParser();
    let lastId = 0;
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        for (const item of parser.push(chunk.toString('latin1'))) {
          if (item.kind !== 'event' || item.event !== 'trace') continue;
          const id = Number(item.id);
          if (id !== lastId + 1) reject(new Error(`expected ${lastId + 1}, got ${id}`));
          lastId = id;
          if (id === 2000) resolve();
        }
      });
    });
    socket.resume();
    await done;
    socket.destroy();
  });

  it('GET /events sends keep-alive comments', async () => {
    const quick = await start({ keepAliveMs: 5 });
    const client = await connect(quick.server.url);
    const comment = await client.next((i) => i.kind === 'comment');
    expect(comment).toEqual({ kind: 'comment', text: 'keep-alive' });
    await client.close();
  });

  it('GET /events cleans up when the client disconnects', async () => {
    const hub = sseHubOf(h.app);
    const opened = once(hub, 'open');
    const client = await connect(h.server.url);
    await opened;
    expect(hub.size).toBe(1);
    expect(h.trace.listenerCount).toBe(1);
    expect(h.events.listenerCount).toBe(1);
    const closed = once(hub, 'close');
    await client.close();
    await closed;
    expect(hub.size).toBe(0);
    expect(h.trace.listenerCount).toBe(0);
    expect(h.events.listenerCount).toBe(0);
    // Publishing after the disconnect is harmless.
    h.wire.publish(sip(1));
    expect(h.trace.latestId).toBe(1);
  });
});

describe('control server lifecycle', () => {
  it('close() with an open SSE client resolves, and ends the stream', async () => {
    const h = await start();
    const client = await connect(h.server.url);
    h.wire.publish(sip(1));
    await client.event();
    const closing = h.server.close();
    expect(await client.ended()).toBe(true);
    await closing;
    expect(h.server.server.listening).toBe(false);
    expect(sseHubOf(h.app).size).toBe(0);
    expect(h.trace.listenerCount).toBe(0);
    await expect(fetch(`${h.server.url}/health`)).rejects.toThrow();
  });

  it('close() resolves with an SSE client that never reads', async () => {
    const h = await start();
    const hub = sseHubOf(h.app);
    const opened = once(hub, 'open');
    const res = await fetch(`${h.server.url}/events`);
    await opened;
    await h.server.close();
    expect(hub.size).toBe(0);
    await res.body?.cancel();
  });

  it('close() destroys connections a peer keeps half-open after the grace period', async () => {
    const logs: string[] = [];
    const logger = createLogger('n', { env: {}, write: (l) => logs.push(l) });
    const trace = new TraceRecorder({ node: 'n' });
    const app = createControlApi({ node: 'n', logger, state: () => ({}), trace });
    const server = await startControlServer(app, { port: 0, logger, closeGraceMs: 20 });
    const socket = tcpConnect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true });
    const opened = once(sseHubOf(app), 'open');
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    socket.resume();
    await opened;
    await server.close();
    expect(logs.some((l) => l.includes('connections still open after grace period'))).toBe(true);
    socket.destroy();
  });

  it('close() is idempotent and closes idle keep-alive connections', async () => {
    const h = await start();
    expect((await fetch(`${h.server.url}/health`)).status).toBe(200);
    const first = h.server.close();
    expect(h.server.close()).toBe(first);
    await first;
  });

  it('reports EADDRINUSE clearly', async () => {
    const h = await start();
    const app = createControlApi({
      node: 'bob',
      logger: createLogger('bob', { env: {}, write: () => {} }),
      state: () => ({}),
      trace: new TraceRecorder({ node: 'bob' }),
    });
    const err = await startControlServer(app, { port: h.server.port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ListenError);
    expect((err as ListenError).code).toBe('EADDRINUSE');
    expect((err as ListenError).message).toBe(
      `control API cannot listen on 127.0.0.1:${h.server.port}: address already in use (EADDRINUSE); another process holds the port, pick another port`,
    );
  });
});
