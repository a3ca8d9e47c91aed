import { once } from 'node:events';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WireTrace, type WireTraceEvent } from '../trace/index.js';
import { MsrpEndpoint, type MsrpEndpointOptions } from './endpoint.js';
import { MsrpSendError } from './errors.js';
import { type MsrpFrame, type MsrpRequest, getHeader } from './frame.js';
import { MsrpParser } from './parser.js';
import { buildRequest, buildResponse, serializeFrame } from './serializer.js';
import type { MsrpMessage, MsrpReport, MsrpSession, MsrpSessionOptions } from './session.js';
import { msrpSessionPair } from './test-support/session-pair.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoint(options: MsrpEndpointOptions = {}): Promise<MsrpEndpoint> {
  const ep = await MsrpEndpoint.listen(options);
  cleanups.push(() => ep.close());
  return ep;
}

function traced(): { trace: WireTrace; events: WireTraceEvent[] } {
  const trace = new WireTrace();
  const events: WireTraceEvent[] = [];
  trace.subscribe((e) => events.push(e));
  return { trace, events };
}

/** Two endpoints, an active session on `a` bound to a passive one on `b` (RFC 6135). */
async function pair(opts: Parameters<typeof msrpSessionPair>[0] = {}) {
  const p = await msrpSessionPair(opts);
  cleanups.push(p.close);
  return p;
}

function nextMessage(session: MsrpSession): Promise<MsrpMessage> {
  return once(session, 'message').then(([m]) => m as MsrpMessage);
}

/** A raw TCP peer that speaks MSRP frames by hand. */
class RawPeer {
  readonly frames: MsrpFrame[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #parser = new MsrpParser();
  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      for (const e of this.#parser.push(d)) if (e.type === 'frame') this.frames.push(e.frame);
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    cleanups.push(() => {
      socket.destroy();
    });
  }
  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawPeer(socket);
  }
  write(frame: MsrpFrame | Buffer): void {
    this.socket.write(Buffer.isBuffer(frame) ? frame : serializeFrame(frame));
  }
  /** The next frame matching `pred` (waits on data events). */
  async next(pred: (f: MsrpFrame) => boolean = () => true): Promise<MsrpFrame> {
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
  response(tid: string): Promise<MsrpFrame> {
    return this.next((f) => f.kind === 'response' && f.transactionId === tid);
  }
}

const RAW_URI = 'msrp://127.0.0.1:9/rawpeersession01;tcp';

/** A passive session on `b` bound to a raw peer by its empty SEND (RFC 4975 §5.4). */
async function rawBound(b: MsrpEndpoint, opts: Partial<MsrpSessionOptions> = {}) {
  const session = b.createSession({ setup: 'passive', ...opts });
  const started = session.start(RAW_URI);
  const peer = await RawPeer.connect(b.port);
  const bind = buildRequest({
    method: 'SEND',
    toPath: session.localPath,
    fromPath: RAW_URI,
    headers: [{ name: 'Message-ID', value: 'bind1' }],
  });
  peer.write(bind);
  expect((await peer.response(bind.transactionId)) as { status: number }).toMatchObject({ status: 200 });
  await started;
  return { session, peer };
}

function rawSend(
  session: MsrpSession,
  init: {
    body?: string;
    contentType?: string;
    range?: string;
    messageId?: string;
    flag?: '$' | '+' | '#';
    method?: string;
    headers?: Array<{ name: string; value: string }>;
    from?: string;
    to?: string;
  },
): MsrpRequest {
  const headers = [{ name: 'Message-ID', value: init.messageId ?? 'm1' }, ...(init.headers ?? [])];
  if (init.range) headers.push({ name: 'Byte-Range', value: init.range });
  const req: Parameters<typeof buildRequest>[0] = {
    method: init.method ?? 'SEND',
    toPath: init.to ?? session.localPath,
    fromPath: init.from ?? RAW_URI,
    headers,
    flag: init.flag ?? '$',
  };
  if (init.body !== undefined) {
    req.body = Buffer.from(init.body);
    req.contentType = init.contentType ?? 'text/plain';
  }
  return buildRequest(req);
}

/** A plain TCP server standing in for a passive peer that misbehaves. */
async function rawServer(
  onSocket: (s: Socket, frames: AsyncIterable<MsrpFrame>) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    const parser = new MsrpParser();
    const queue: MsrpFrame[] = [];
    let wake: (() => void) | undefined;
    socket.on('data', (d: Buffer) => {
      for (const e of parser.push(d)) if (e.type === 'frame') queue.push(e.frame);
      wake?.();
    });
    cleanups.push(() => {
      socket.destroy();
    });
    onSocket(socket, {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (queue.length) yield queue.shift()!;
          await new Promise<void>((r) => (wake = r));
        }
      },
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 };
}

function ok(req: MsrpFrame): Buffer {
  return serializeFrame(
    buildResponse(req.transactionId, 200, getHeader(req, 'From-Path')!, getHeader(req, 'To-Path')!),
  );
}

/**
 * Open TCP handles of the process. libuv runs handle-close callbacks in the loop's close phase, after
 * the JS 'close' events we await; two loop turns let that phase run (an event-loop turn, not a timer).
 */
async function tcpHandles(): Promise<number> {
  for (let i = 0; i < 2; i++) await new Promise<void>((r) => setImmediate(r));
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

function bytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

describe('MsrpEndpoint over TCP', () => {
  it('RFC 6135 §4 / RFC 4975 §5.4: the active side binds with an empty SEND; both sides become bound', async () => {
    const { trace, events } = traced();
    const { sa, sb } = await pair({ a: { trace } });
    expect(sa.state).toBe('bound');
    expect(sb.state).toBe('bound');
    const first = new MsrpParser().push(events.find((e) => e.direction === 'out')!.raw)[0]!;
    expect(first.type === 'frame' && first.frame).toMatchObject({
      kind: 'request',
      method: 'SEND',
      body: undefined,
    });
  });

  it('RFC 4975 §7.1.2: a 1 MiB message in 2048-byte chunks arrives intact, with a success REPORT', async () => {
    const { trace, events } = traced();
    const { sa, sb } = await pair({ a: { trace } });
    const body = bytes(1024 * 1024);
    const received = nextMessage(sb);
    const report = once(sa, 'report').then(([r]) => r as MsrpReport);
    const result = await sa.send(body, { contentType: 'application/octet-stream', successReport: true });
    expect(result.chunks).toBe(512);
    const msg = await received;
    expect(msg.body.equals(body)).toBe(true);
    expect(msg.contentType).toBe('application/octet-stream');
    expect(msg.messageId).toBe(result.messageId);
    expect(await report).toMatchObject({
      messageId: result.messageId,
      status: 200,
      byteRange: { start: 1, end: body.length, total: body.length },
    });
    const sends = events.filter(
      (e) => e.direction === 'out' && e.raw.subarray(0, 40).toString().includes(' SEND'),
    );
    expect(sends).toHaveLength(513); // binding SEND + 512 chunks
    const chunk = new MsrpParser().push(sends[1]!.raw)[0]!;
    expect(chunk.type === 'frame' && getHeader(chunk.frame, 'Byte-Range')).toBe('1-2048/1048576');
    expect(chunk.type === 'frame' && chunk.frame.flag).toBe('+');
  });

  it('RFC 4975 §7.1.2: two messages sent at once interleave their chunks and both reassemble', async () => {
    const { trace, events } = traced();
    const { sa, sb } = await pair({ a: { trace, maxInFlight: 2 } });
    const one = bytes(40_000);
    const two = Buffer.alloc(30_000, 0x61);
    const got: MsrpMessage[] = [];
    const both = new Promise<void>((resolve) =>
      sb.on('message', (m) => {
        got.push(m);
        if (got.length === 2) resolve();
      }),
    );
    const [r1, r2] = await Promise.all([
      sa.send(one, { contentType: 'application/octet-stream', messageId: 'msg-one' }),
      sa.send(two, { contentType: 'text/plain', messageId: 'msg-two' }),
    ]);
    await both;
    expect(got.find((m) => m.messageId === 'msg-one')!.body.equals(one)).toBe(true);
    expect(got.find((m) => m.messageId === 'msg-two')!.body.equals(two)).toBe(true);
    expect(r1.chunks + r2.chunks).toBe(20 + 15);
    const order = events
      .filter((e) => e.direction === 'out')
      .map((e) => /Message-ID: (msg-\w+)/.exec(e.raw.subarray(0, 300).toString())?.[1])
      .filter((x) => x !== undefined);
    const switches = order.filter((id, i) => i > 0 && id !== order[i - 1]).length;
    expect(switches).toBeGreaterThan(1);
  });

  it('RFC 4975 §7.3: out-of-order chunks reassemble per Message-ID; each gets 200', async () => {
    const b = await endpoint();
    const { session, peer } = await rawBound(b);
    const received = nextMessage(session);
    const c3 = rawSend(session, { body: 'world', range: '7-11/11', flag: '$', messageId: 'ooo' });
    const c1 = rawSend(session, { body: 'hel', range: '1-3/11', flag: '+', messageId: 'ooo' });
    const c2 = rawSend(session, { body: 'lo ', range: '4-6/11', flag: '+', messageId: 'ooo' });
    for (const c of [c3, c1, c2]) peer.write(c);
    for (const c of [c3, c1, c2]) {
      const res = await peer.response(c.transactionId);
      expect(res).toMatchObject({ status: 200, body: undefined });
      // RFC 4975 §7.2: To-Path = the request's From-Path, From-Path = our URI.
      expect(getHeader(res, 'To-Path')).toBe(RAW_URI);
      expect(getHeader(res, 'From-Path')).toBe(session.localPath);
    }
    expect((await received).body.toString()).toBe('hello world');
  });

  it('RFC 4975 §7.3: Byte-Range 1-*/* is accepted for a single-chunk message', async () => {
    const b = await endpoint();
    const { session, peer } = await rawBound(b);
    const received = nextMessage(session);
    peer.write(rawSend(session, { body: 'star', range: '1-*/*' }));
    expect((await received).body.toString()).toBe('star');
  });

  it('RFC 4975 §7.3: 415 for a type outside accept-types (wildcards type/* and * honoured)', async () => {
    const b = await endpoint();
    const { session, peer } = await rawBound(b, { acceptTypes: ['message/cpim', 'text/*'] });
    const received = nextMessage(session);
    const bad = rawSend(session, { body: 'x', contentType: 'image/png', range: '1-1/1' });
    peer.write(bad);
    expect(await peer.response(bad.transactionId)).toMatchObject({ status: 415 });
    const good = rawSend(session, {
      body: 'hi',
      contentType: 'text/plain;charset=utf-8',
      range: '1-2/2',
      messageId: 'm2',
    });
    peer.write(good);
    expect(await peer.response(good.transactionId)).toMatchObject({ status: 200 });
    expect((await received).messageId).toBe('m2');
  });

  it('RFC 4975 §7.3: the sender sees 415 as a rejected send with the peer status', async () => {
    const { sa } = await pair({ sb: { acceptTypes: ['message/cpim'] } });
    const err = await sa.send('hello', { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MsrpSendError);
    expect(err).toMatchObject({ failure: 'response', status: 415 });
  });

  it('RFC 4975 §7.3: 501 for an unknown method', async () => {
    const b = await endpoint();
    const { session, peer } = await rawBound(b);
    const req = rawSend(session, { method: 'NICKNAME' });
    peer.write(req);
    expect(await peer.response(req.transactionId)).toMatchObject({ status: 501 });
  });

  it('RFC 4975 §7.3: 481 for an unknown session and for a From-Path that is not the peer', async () => {
    const b = await endpoint();
    const { session, peer } = await rawBound(b);
    const wrongSession = rawSend(session, { body: 'x', to: `msrp://127.0.0.1:${b.port}/nosuchsession;tcp` });
    const wrongPeer = rawSend(session, { body: 'x', from: 'msrp://127.0.0.1:9/someoneelse;tcp' });
    const wrongPort = rawSend(session, { body: 'x', to: session.localPath.replace(`:${b.port}/`, ':1/') });
    for (const r of [wrongSession, wrongPeer, wrongPort]) peer.write(r);
    for (const r of [wrongSession, wrongPeer, wrongPort])
      expect(await peer.response(r.transactionId)).toMatchObject({ status: 481 });
  });

  it('RFC 6135 §4: a passive session binds only from the expected peer; others get 481', async () => {
    const b = await endpoint();
    const session = b.createSession({ setup: 'passive' });
    const started = session.start(RAW_URI);
    const intruder = await RawPeer.connect(b.port);
    const bad = rawSend(session, { from: 'msrp://127.0.0.1:9/intruder;tcp' });
    intruder.write(bad);
    expect(await intruder.response(bad.transactionId)).toMatchObject({ status: 481 });
    expect(session.state).toBe('waiting');
    const peer = await RawPeer.connect(b.port);
    const good = rawSend(session, {});
    peer.write(good);
    expect(await peer.response(good.transactionId)).toMatchObject({ status: 200 });
    await started;
    expect(session.state).toBe('bound');
  });

  it('RFC 4975 §7.1.2: REPORT is never answered; Failure-Report: no gets no response', async () => {
    const b = await endpoint();
    const { session, peer } = await rawBound(b);
    const report = buildRequest({
      method: 'REPORT',
      toPath: session.localPath,
      fromPath: RAW_URI,
      headers: [
        { name: 'Message-ID', value: 'whatever' },
        { name: 'Byte-Range', value: '1-1/1' },
        { name: 'Status', value: '000 200 OK' },
      ],
    });
    const reported = once(session, 'report');
    const silent = rawSend(session, {
      body: 'x',
      range: '1-1/1',
      messageId: 'q1',
      headers: [{ name: 'Failure-Report', value: 'no' }],
    });
    const probe = rawSend(session, { body: 'y', range: '1-1/1', messageId: 'q2' });
    peer.write(report);
    peer.write(silent);
    peer.write(probe);
    await peer.response(probe.transactionId);
    await reported;
    expect(
      peer.frames.filter(
        (f) => f.transactionId === report.transactionId || f.transactionId === silent.transactionId,
      ),
    ).toEqual([]);
  });

  it('RFC 4975 §7.1.2: Failure-Report: no → the send resolves without waiting for responses', async () => {
    const { trace, events } = traced();
    const { sa, sb } = await pair({ b: { trace } });
    const received = nextMessage(sb);
    await sa.send(bytes(5000), { contentType: 'text/plain', failureReport: 'no' });
    await received;
    expect(events.filter((e) => e.direction === 'out').length).toBe(1); // only the binding 200
  });

  it('RFC 4975 §7.1.2: abort sends a # chunk; the receiver discards the message', async () => {
    const { trace, events } = traced();
    const { sa, sb } = await pair({ a: { trace, maxInFlight: 1 } });
    const delivered: MsrpMessage[] = [];
    sb.on('message', (m) => delivered.push(m));
    const handle = sa.sendMessage(bytes(10_000), { contentType: 'text/plain' });
    handle.abort();
    await expect(handle.done).rejects.toMatchObject({ failure: 'aborted' });
    const next = nextMessage(sb);
    await sa.send('after', { contentType: 'text/plain' });
    expect((await next).body.toString()).toBe('after');
    expect(delivered.map((m) => m.body.toString())).toEqual(['after']);
    expect(events.some((e) => e.direction === 'out' && e.raw.toString('latin1').endsWith('#\r\n'))).toBe(
      true,
    );
  });

  it('RFC 4975 §7.1.1: no response within the transaction timeout rejects with 408', async () => {
    const { port } = await rawServer(async (socket, frames) => {
      for await (const f of frames) {
        if (getHeader(f, 'Byte-Range') === undefined) socket.write(ok(f)); // answer only the binding SEND
      }
    });
    const a = await endpoint({ transactionTimeoutMs: 150 });
    const sa = a.createSession({ setup: 'active' });
    await sa.start(`msrp://127.0.0.1:${port}/silentpeer;tcp`);
    const err = await sa.send('hello?', { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MsrpSendError);
    expect(err).toMatchObject({ failure: 'timeout', status: 408 });
  });

  it('RFC 4975 §7.1.2: a missing success REPORT is a 408 too', async () => {
    const { port } = await rawServer(async (socket, frames) => {
      for await (const f of frames) socket.write(ok(f));
    });
    const a = await endpoint({ transactionTimeoutMs: 150 });
    const sa = a.createSession({ setup: 'active' });
    await sa.start(`msrp://127.0.0.1:${port}/noreport;tcp`);
    await expect(sa.send('x', { contentType: 'text/plain', successReport: true })).rejects.toMatchObject({
      failure: 'timeout',
      status: 408,
    });
  });

  it('RFC 4975 §7.1.2: a REPORT with an error Status rejects the send with that status', async () => {
    const { port } = await rawServer(async (socket, frames) => {
      for await (const f of frames) {
        socket.write(ok(f));
        if (f.kind === 'request' && f.flag === '$' && f.body) {
          socket.write(
            serializeFrame(
              buildRequest({
                method: 'REPORT',
                toPath: getHeader(f, 'From-Path')!,
                fromPath: getHeader(f, 'To-Path')!,
                headers: [
                  { name: 'Message-ID', value: getHeader(f, 'Message-ID')! },
                  { name: 'Status', value: '000 413 Message Too Large' },
                ],
              }),
            ),
          );
        }
      }
    });
    const a = await endpoint();
    const sa = a.createSession({ setup: 'active' });
    await sa.start(`msrp://127.0.0.1:${port}/failreport;tcp`);
    await expect(sa.send('x', { contentType: 'text/plain', successReport: true })).rejects.toMatchObject({
      failure: 'report',
      status: 413,
    });
  });

  it('RFC 4975 §7.3: a message over the receiver max-size gets 413', async () => {
    const { sa } = await pair({ sb: { maxSize: 4096 } });
    await expect(sa.send(bytes(10_000), { contentType: 'text/plain' })).rejects.toMatchObject({
      failure: 'response',
      status: 413,
    });
  });

  it('RFC 4975 §5.4: the peer dying mid-message rejects the send and leaves no open handles', async () => {
    const before = await tcpHandles();
    let peerSocket: Socket | undefined;
    const { server, port } = await rawServer(async (socket, frames) => {
      peerSocket = socket;
      for await (const f of frames) {
        if (getHeader(f, 'Byte-Range') === undefined) socket.write(ok(f));
        else socket.destroy(); // dies on the first chunk, mid-message
      }
    });
    const a = await endpoint();
    const sa = a.createSession({ setup: 'active' });
    await sa.start(`msrp://127.0.0.1:${port}/dyingpeer;tcp`);
    const sessionClosed = once(sa, 'close');
    const err = await sa.send(bytes(100_000), { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MsrpSendError);
    expect(err).toMatchObject({ failure: 'connection-lost' });
    await sessionClosed;
    expect(sa.state).toBe('closed');
    expect(a.connectionCount).toBe(0);
    await a.close();
    peerSocket?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    expect(await tcpHandles()).toBe(before);
  });

  it('lab rule: garbage sent to a listener never crashes it; the next good connection works', async () => {
    const errors: unknown[] = [];
    const b = await endpoint();
    b.on('protocol-error', (e) => errors.push(e));
    const garbage = await RawPeer.connect(b.port);
    const gone = once(garbage.socket, 'close');
    garbage.write(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a, 0x42]));
    await gone;
    expect(errors).toEqual([expect.objectContaining({ fatal: true })]);
    // A readable transaction ID but a broken header block: 400, and the connection stays usable.
    const { session, peer } = await rawBound(b);
    peer.write(
      Buffer.from(
        `MSRP brok3n01 SEND\r\nTo-Path: ${session.localPath}\r\nFrom-Path: ${RAW_URI}\r\nnot a header\r\n-------brok3n01$\r\n`,
      ),
    );
    expect(await peer.response('brok3n01')).toMatchObject({ status: 400 });
    const received = nextMessage(session);
    peer.write(rawSend(session, { body: 'still fine', range: '1-10/10' }));
    expect((await received).body.toString()).toBe('still fine');
    // And a full endpoint pair on the same listener.
    const a = await endpoint();
    const sa = a.createSession({ setup: 'active' });
    const sb = b.createSession({ setup: 'passive' });
    await Promise.all([sb.start(sa.localPath), sa.start(sb.localPath)]);
    const got = nextMessage(sb);
    await sa.send('good', { contentType: 'text/plain' });
    expect((await got).body.toString()).toBe('good');
  });

  it('lab rule: when every connection is bound to a session, connections beyond maxConnections are refused', async () => {
    const { b, sb } = await pair({ b: { maxConnections: 1, capReportIntervalMs: 20 } });
    const report = once(b, 'capacity');
    const second = await RawPeer.connect(b.port);
    await once(second.socket, 'close');
    expect((await report)[0]).toMatchObject({ refused: 1, evicted: 0 });
    expect(sb.state).toBe('bound');
  });

  it('trace: every frame sent and received is published with protocol msrp, exact bytes and addresses', async () => {
    const ta = traced();
    const tb = traced();
    const { a, b, sa, sb } = await pair({ a: { trace: ta.trace }, b: { trace: tb.trace } });
    const received = nextMessage(sb);
    await sa.send('traced', { contentType: 'text/plain', successReport: true });
    await received;
    // a: binding SEND, 200 in, SEND out, 200 in, REPORT in
    expect(ta.events.map((e) => e.direction)).toEqual(['out', 'in', 'out', 'in', 'in']);
    expect(tb.events.map((e) => e.direction)).toEqual(['in', 'out', 'in', 'out', 'out']);
    for (const [x, y] of ta.events.map((e, i) => [e, tb.events[i]!] as const)) {
      expect(x.protocol).toBe('msrp');
      expect(x.transport).toBe('tcp');
      expect(x.raw.equals(y.raw)).toBe(true);
      expect(x.local).toEqual(y.remote);
    }
    expect(ta.events[0]!.remote.port).toBe(b.port);
    expect(tb.events[0]!.local.port).toBe(b.port);
    expect(a.port).not.toBe(b.port);
  });

  it('teardown: close() ends sessions, rejects pending sends and leaves no TCP handles', async () => {
    const before = await tcpHandles();
    const a = await MsrpEndpoint.listen();
    const b = await MsrpEndpoint.listen();
    const sa = a.createSession({ setup: 'active' });
    const sb = b.createSession({ setup: 'passive' });
    await Promise.all([sb.start(sa.localPath), sa.start(sb.localPath)]);
    const pending = sa.send(bytes(200_000), { contentType: 'text/plain' }).catch((e: unknown) => e);
    await Promise.all([a.close(), b.close()]);
    expect(await pending).toMatchObject({ failure: 'connection-lost' });
    expect(sa.state).toBe('closed');
    expect(sb.state).toBe('closed');
    expect(await tcpHandles()).toBe(before);
  });
});

describe('bounded connections (hardening; RFC 4975 §5.4, RFC 6135)', () => {
  async function rawConnect(ep: MsrpEndpoint): Promise<Socket> {
    const socket = connect({ host: '127.0.0.1', port: ep.port });
    socket.on('error', () => {});
    await once(socket, 'connect');
    cleanups.push(() => {
      socket.destroy();
    });
    return socket;
  }

  it('an accepted connection that never binds to a session is closed after bindTimeoutMs; a bound one stays', async () => {
    const { b, sb } = await pair({ b: { bindTimeoutMs: 100, capReportIntervalMs: 20 } });
    const idle = await rawConnect(b);
    const report = once(b, 'capacity');
    await once(idle, 'close');
    expect((await report)[0]).toMatchObject({ unbound: 1, refused: 0, evicted: 0 });
    expect(sb.state).toBe('bound');
  });

  it('at the cap the oldest unbound connection is evicted for a new one; refusals and evictions are one aggregated report', async () => {
    const b = await endpoint({ maxConnections: 2, bindTimeoutMs: 0, capReportIntervalMs: 30 });
    const a = await endpoint();
    const sb = b.createSession({ setup: 'passive' });
    const sa = a.createSession({ setup: 'active' });
    await Promise.all([sb.start(sa.localPath), sa.start(sb.localPath)]);
    const idle = await rawConnect(b); // unbound: the one that makes room
    while (b.connectionCount < 2) await new Promise((r) => setImmediate(r));
    const report = once(b, 'capacity');
    const newcomer = await rawConnect(b);
    await once(idle, 'close');
    // Now the cap holds a bound connection and the newcomer (unbound): the next evicts the newcomer.
    const third = await rawConnect(b);
    await once(newcomer, 'close');
    expect((await report)[0]).toMatchObject({ evicted: 2, refused: 0, maxConnections: 2 });
    expect(third.destroyed).toBe(false);
    expect(sb.state).toBe('bound');
    // The bound session still works.
    const got = nextMessage(sb);
    await sa.send('still here', { contentType: 'text/plain' });
    expect((await got).body.toString()).toBe('still here');
  });
});

describe('backpressure (hardening)', () => {
  it('a peer that sends but does not read our answers: we stop reading from it, and resume once it drains; nothing is lost', async () => {
    const b = await endpoint({ maxWriteBuffer: 16 * 1024 });
    const accepted = once(b, 'connection') as Promise<[import('./connection.js').MsrpConnection]>;
    const { session, peer } = await rawBound(b);
    const [conn] = await accepted;
    let received = 0;
    session.on('message', () => {
      received += 1;
    });
    peer.socket.pause(); // the peer stops reading our 200s
    let sent = 0;
    const batch = Buffer.concat(
      Array.from({ length: 1000 }, (_, i) =>
        serializeFrame(rawSend(session, { body: 'x', messageId: `bp${i}` })),
      ),
    );
    // Until our side notices (bounded: at most 200 batches).
    for (let i = 0; i < 200 && !conn.readPaused; i++) {
      peer.socket.write(batch);
      sent += 1000;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(conn.readPaused).toBe(true);
    // The peer reads again: we drain, resume, and every SEND is answered.
    peer.socket.resume();
    while (received < sent) await once(session, 'message');
    // The last 200s may still sit in the socket's write queue (reading paused again): it resumes on 'drain'.
    await vi.waitFor(() => expect(conn.readPaused).toBe(false));
    expect(conn.closed).toBe(false);
  }, 60_000);
});

describe('a deferred endpoint (its listener opened when first needed)', () => {
  it('holds no listener until listening(); then sessions get URIs with its port; listening() is idempotent', async () => {
    const ep = MsrpEndpoint.deferred();
    cleanups.push(() => ep.close());
    expect(ep.port).toBe(0);
    expect(() => ep.createSession({ setup: 'active' })).toThrow(/not listening/);
    await Promise.all([ep.listening(), ep.listening()]);
    expect(ep.port).toBeGreaterThan(0);
    const session = ep.createSession({ setup: 'passive' });
    expect(session.localPath).toContain(`:${ep.port}/`);
    // A peer reaches the listener.
    const socket = connect(ep.port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await once(socket, 'connect');
  });

  it('a listen that fails rejects and the next call tries again', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const ep = MsrpEndpoint.deferred({ port });
    cleanups.push(() => ep.close());
    await expect(ep.listening()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await ep.listening();
    expect(ep.port).toBe(port);
  });

  it('closed while its listener opens: whoever waits for it is told', async () => {
    const ep = MsrpEndpoint.deferred();
    const waiting = ep.listening();
    const closing = ep.close();
    // Either it was listening already when the close came (then it resolved) or it is told it closed.
    await waiting.then(
      () => undefined,
      (err: Error) => expect(err.message).toMatch(/closed/),
    );
    await closing;
    await expect(ep.listening()).rejects.toThrow(/closed/);
  });

  it('closes without ever having listened; listening() after close rejects', async () => {
    const ep = MsrpEndpoint.deferred();
    await ep.close();
    await expect(ep.listening()).rejects.toThrow(/closed/);
  });
});
