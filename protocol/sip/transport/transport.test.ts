// The transport layer over real sockets on 127.0.0.1 (ephemeral ports); synchronisation by events only.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WireTrace, type WireTraceEvent } from '../../trace/index.js';
import { createRequest, createResponse, newCallId } from '../builders.js';
import { type SipMessage, SipRequest, SipResponse } from '../message.js';
import { SipSerializeError } from '../errors.js';
import { MAX_SKIPPED_BODY, parseMessage, SipStreamParser } from '../parser.js';
import { serializeMessage } from '../serializer.js';
import {
  type FlowClosed,
  type MessageSource,
  SipTransportLayer,
  setTopViaTransport,
  TransportError,
  type TransportLayerOptions,
} from './index.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(options: Partial<TransportLayerOptions> = {}): Promise<SipTransportLayer> {
  const transport = await SipTransportLayer.listen({
    udp: { host: '127.0.0.1', port: 0 },
    tcp: { host: '127.0.0.1', port: 0 },
    ...options,
  });
  cleanups.push(() => transport.close());
  return transport;
}

/** Answer every request with 200 via sendResponse (RFC 3261 §18.2.2 routing). */
function answerAll(transport: SipTransportLayer): Array<{ request: SipRequest; source: MessageSource }> {
  const seen: Array<{ request: SipRequest; source: MessageSource }> = [];
  transport.on('message', (message, source) => {
    if (!message.isRequest || message.method === 'ACK') return;
    seen.push({ request: message, source });
    void transport.sendResponse(createResponse(message, 200, undefined, 'srv'), source).catch(() => {});
  });
  return seen;
}

function rawRequest(method: string, via: string): Buffer {
  const request = createRequest({
    method,
    uri: 'sip:pf@ims.lab',
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:pf@ims.lab>',
    callId: newCallId(),
    cseq: 1,
  });
  request.headers.unshift({ name: 'Via', value: via });
  return serializeMessage(request);
}

/** The peer's view: parse, or for a response whose copied headers are invalid (a 400), keep status and headers. */
function lenientParse(buf: Buffer): SipMessage {
  try {
    return parseMessage(buf);
  } catch (err) {
    const lines = buf.toString('latin1').split('\r\n');
    const status = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(lines[0] ?? '');
    if (!status) throw err;
    const response = new SipResponse(Number(status[1]), status[2]!);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) response.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return response;
  }
}

async function udpPeer(): Promise<{ socket: UdpSocket; port: number; next: () => Promise<SipMessage> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const queue: SipMessage[] = [];
  const waiters: Array<(m: SipMessage) => void> = [];
  socket.on('message', (buf) => {
    const m = lenientParse(buf);
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  });
  return {
    socket,
    port: socket.address().port,
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

async function tcpPeer(
  port: number,
): Promise<{ socket: Socket; next: () => Promise<SipMessage>; data: Buffer[] }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await once(socket, 'connect');
  cleanups.push(() => {
    socket.destroy();
  });
  const parser = new SipStreamParser();
  const queue: SipMessage[] = [];
  const waiters: Array<(m: SipMessage) => void> = [];
  const data: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => {
    data.push(chunk);
    for (const item of parser.push(chunk)) {
      if (item.kind !== 'message' && item.kind !== 'error') continue;
      const message = item.kind === 'message' ? item.message : lenientParse(item.raw);
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else queue.push(message);
    }
  });
  return {
    socket,
    data,
    next: () => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

describe('UDP (RFC 3261 §18.2, RFC 3581)', () => {
  it('RFC 3581 §4: an empty rport is filled with the source port, received is added, and the response goes to received:rport', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const peer = await udpPeer();
    // sent-by names an unreachable host/port: only received + rport can bring the response back.
    peer.socket.send(
      rawRequest('OPTIONS', 'SIP/2.0/UDP 192.0.2.9:5999;branch=z9hG4bKrport;rport'),
      transport.addresses.udp!.port,
      '127.0.0.1',
    );
    const response = await peer.next();
    expect(response).toMatchObject({ status: 200 });
    const via = seen[0]!.request.topVia;
    expect(via.params.get('received')).toBe('127.0.0.1');
    expect(via.params.get('rport')).toBe(String(peer.port));
    expect(seen[0]!.source).toMatchObject({
      transport: 'udp',
      remote: { address: '127.0.0.1', port: peer.port },
    });
  });

  it('the datagrams of one peer share one MessageSource (kept by wait states for 64*T1); another peer gets its own', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const [a, b] = [await udpPeer(), await udpPeer()];
    const port = transport.addresses.udp!.port;
    for (const [peer, n] of [
      [a, 1],
      [a, 2],
      [b, 3],
    ] as const) {
      peer.socket.send(
        rawRequest('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKsrc${n}`),
        port,
        '127.0.0.1',
      );
      expect(await peer.next()).toMatchObject({ status: 200 });
    }
    const [first, second, third] = seen.map((s) => s.source);
    expect(second).toBe(first);
    expect(third).not.toBe(first);
    expect(first!.remote).toEqual({ address: '127.0.0.1', port: a.port });
    expect(third!.remote).toEqual({ address: '127.0.0.1', port: b.port });
    expect(first!.local).toEqual(transport.addresses.udp);
  });

  it('RFC 3261 §18.2.1, §18.2.2: a sent-by host that differs from the source gets received, and the response goes to received at the sent-by port', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const peer = await udpPeer();
    peer.socket.send(
      rawRequest('OPTIONS', `SIP/2.0/UDP alice-ue.ims.lab:${peer.port};branch=z9hG4bKrecv`),
      transport.addresses.udp!.port,
      '127.0.0.1',
    );
    expect(await peer.next()).toMatchObject({ status: 200 });
    const via = seen[0]!.request.topVia;
    expect(via.params.get('received')).toBe('127.0.0.1');
    expect(via.params.has('rport')).toBe(false);
  });

  it('RFC 3261 §18.2.1: a sent-by equal to the source address gets no received parameter', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const peer = await udpPeer();
    peer.socket.send(
      rawRequest('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKsame`),
      transport.addresses.udp!.port,
      '127.0.0.1',
    );
    await peer.next();
    expect(seen[0]!.request.topVia.params.has('received')).toBe(false);
  });

  it('RFC 3261 §21.4.1: a malformed request with a readable Via gets 400; 1000 garbage datagrams do not stop a following request being answered', async () => {
    const transport = await listen();
    answerAll(transport);
    const malformed: boolean[] = [];
    transport.on('malformed', (m) => malformed.push(m.responded));
    const peer = await udpPeer();
    const port = transport.addresses.udp!.port;
    const bad = Buffer.from(
      [
        'OPTIONS sip:pf@ims.lab SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKbad;rport`,
        'From: <sip:alice@ims.lab>;tag=a1',
        'To: <sip:pf@ims.lab>',
        'Call-ID: bad-cseq',
        'CSeq: x OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    peer.socket.send(bad, port, '127.0.0.1');
    const reply = await peer.next();
    expect(reply).toMatchObject({ status: 400 });
    expect(reply.get('call-id')).toBe('bad-cseq');
    // In batches of 50, each followed by a probe request that must be answered: the kernel's
    // receive buffer would otherwise drop datagrams (ours included) when 1000 arrive at once.
    for (let batch = 0; batch < 20; batch++) {
      for (let j = 0; j < 50; j++) {
        const i = batch * 50 + j;
        const garbage =
          i % 3 === 0
            ? randomBytes(1 + (i % 1400))
            : Buffer.from(`INVITE sip:x SIP/2.0\r\nVia: ${'\0'.repeat(i % 5)}broken ${i}\r\n\r\n`);
        peer.socket.send(garbage, port, '127.0.0.1');
      }
      const branch = `z9hG4bKafter${batch}`;
      peer.socket.send(
        rawRequest('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch}`),
        port,
        '127.0.0.1',
      );
      let answer = await peer.next();
      while (answer.isRequest || answer.status !== 200) answer = await peer.next();
      expect(answer.topVia.params.get('branch')).toBe(branch);
    }
    expect(malformed.length).toBeGreaterThan(900);
  });

  it('UDP receive buffer: a burst of 2,000 requests that arrives while the node is busy is not dropped by the kernel', async () => {
    const transport = await listen();
    let received = 0;
    const all = new Promise<void>((resolve) => {
      transport.on('message', () => {
        if (++received === 2000) resolve();
      });
    });
    // A worker thread sends the burst while this thread is blocked and reads nothing: the kernel must hold
    // all of it (with its default buffer, about 200 KB, a few hundred of these fit).
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const sender = new Worker(
      `const { createSocket } = require('node:dgram');
       const { parentPort, workerData } = require('node:worker_threads');
       const flag = new Int32Array(workerData.flag);
       const s = createSocket('udp4');
       let sent = 0;
       const next = () => {
         if (sent === 2000) { Atomics.store(flag, 0, 1); Atomics.notify(flag, 0); s.close(); return; }
         const i = sent++;
         s.send(Buffer.from(workerData.template.replaceAll('NNN', String(i)), 'latin1'), workerData.port, '127.0.0.1', next);
       };
       parentPort.once('message', next);`,
      {
        eval: true,
        workerData: {
          flag: flag.buffer,
          port: transport.addresses.udp!.port,
          template: rawRequest('OPTIONS', 'SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKburstNNN').toString(
            'latin1',
          ),
        },
      },
    );
    cleanups.push(() => sender.terminate().then(() => undefined));
    await once(sender, 'online');
    sender.postMessage('go');
    // Blocks this thread (no socket is read) until the worker has handed the last datagram to the kernel.
    expect(Atomics.wait(flag, 0, 0, 30_000)).not.toBe('timed-out');
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${received} of 2000 requests arrived`)), 10_000);
    });
    await Promise.race([all, bound]).finally(() => clearTimeout(timer));
    expect(received).toBe(2000);
  });

  it('trace: every message received and sent is published with its exact bytes', async () => {
    const trace = new WireTrace();
    const events: WireTraceEvent[] = [];
    trace.subscribe((e) => events.push(e));
    const transport = await listen({ trace });
    answerAll(transport);
    const peer = await udpPeer();
    const bytes = rawRequest('OPTIONS', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKtrace`);
    peer.socket.send(bytes, transport.addresses.udp!.port, '127.0.0.1');
    await peer.next();
    expect(events.map((e) => e.direction)).toEqual(['in', 'out']);
    expect(events[0]!.raw.equals(bytes)).toBe(true);
    expect(events[0]).toMatchObject({
      protocol: 'sip',
      transport: 'udp',
      local: transport.addresses.udp,
      remote: { address: '127.0.0.1', port: peer.port },
    });
    expect(parseMessage(events[1]!.raw)).toMatchObject({ status: 200 });
  });
});

describe('TCP (RFC 3261 §18, RFC 5626 flows)', () => {
  it('RFC 3261 §18.2.2: the response to a request received on TCP goes back on the same connection', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    // Port 9 (discard) on the Via: nothing listens there, so only the flow can carry the response.
    peer.socket.write(rawRequest('REGISTER', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKflow'));
    expect(await peer.next()).toMatchObject({ status: 200 });
    expect(seen[0]!.source.flowId).toBeDefined();
  });

  it('RFC 5626 §5.3: a request to a flowId goes on that connection even when the peer Via/Contact port is unreachable', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write(rawRequest('REGISTER', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKreg'));
    await peer.next();
    const flowId = seen[0]!.source.flowId!;
    const options = createRequest({
      method: 'OPTIONS',
      uri: 'sip:alice@127.0.0.1:9;transport=tcp',
      from: '<sip:cscf@ims.lab>;tag=c1',
      to: '<sip:alice@ims.lab>',
      callId: newCallId(),
      cseq: 1,
    });
    options.headers.unshift({ name: 'Via', value: 'SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKout' });
    setTopViaTransport(options, 'tcp', transport.sentBy('tcp'));
    const sent = await transport.send(options, { transport: 'tcp', address: '127.0.0.1', port: 9, flowId });
    expect(sent.flowId).toBe(flowId);
    const got = await peer.next();
    expect(got).toMatchObject({ method: 'OPTIONS' });
    expect(got.topVia).toMatchObject({
      transport: 'TCP',
      host: '127.0.0.1',
      port: transport.addresses.tcp!.port,
    });
    // Without a flowId, the inbound connection is found by the peer's address:port.
    const local = peer.socket.address() as { port: number };
    const again = options.clone();
    const viaAgain = await transport.send(again, {
      transport: 'tcp',
      address: '127.0.0.1',
      port: local.port,
    });
    expect(viaAgain.flowId).toBe(flowId);
    expect(await peer.next()).toMatchObject({ method: 'OPTIONS' });
  });

  it('RFC 3261 §18.1.1: outgoing TCP connections are reused per remote address:port', async () => {
    const a = await listen();
    const b = await listen();
    answerAll(b);
    const opened: string[] = [];
    b.on('flow-opened', (f) => opened.push(f.flowId));
    const target = { transport: 'tcp' as const, address: '127.0.0.1', port: b.addresses.tcp!.port };
    const responses: SipMessage[] = [];
    a.on('message', (m) => responses.push(m));
    const first = rawRequest('OPTIONS', `SIP/2.0/TCP 127.0.0.1:${a.addresses.tcp!.port};branch=z9hG4bK1`);
    const second = rawRequest('OPTIONS', `SIP/2.0/TCP 127.0.0.1:${a.addresses.tcp!.port};branch=z9hG4bK2`);
    const [s1, s2] = await Promise.all([
      a.send(parseMessage(first), target),
      a.send(parseMessage(second), target),
    ]);
    expect(s1.flowId).toBe(s2.flowId);
    while (responses.length < 2) await once(a, 'message');
    expect(opened).toHaveLength(1);
    expect(a.flows()).toHaveLength(1);
  });

  it('RFC 5626 §4.4.1: a CRLFCRLF ping on a flow is answered with a CRLF pong', async () => {
    const transport = await listen();
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write('\r\n\r\n');
    await once(peer.socket, 'data');
    expect(Buffer.concat(peer.data).toString('latin1')).toBe('\r\n');
  });

  it('RFC 3261 §18.3: a garbage TCP stream closes that connection and a following request on a new one is answered', async () => {
    const transport = await listen({ maxMessageSize: 4096 });
    answerAll(transport);
    const closed: FlowClosed[] = [];
    transport.on('flow-closed', (f) => closed.push(f));
    const bad = await tcpPeer(transport.addresses.tcp!.port);
    bad.socket.write(randomBytes(10_000).map((b) => (b === 0x0d || b === 0x0a ? 0x41 : b)));
    await once(bad.socket, 'close');
    while (closed.length === 0) await once(transport, 'flow-closed');
    expect(closed[0]!.reason).toBe('framing');
    const good = await tcpPeer(transport.addresses.tcp!.port);
    good.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKgood'));
    expect(await good.next()).toMatchObject({ status: 200 });
  });

  it('RFC 3261 §21.4.1: a malformed request on a stream with intact framing gets 400 and the connection stays open', async () => {
    const transport = await listen();
    answerAll(transport);
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write(
      [
        'MESSAGE sip:pf@ims.lab SIP/2.0',
        'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKbadtcp',
        'From: <sip:alice@ims.lab>;tag=a1',
        'To: <sip:pf@ims.lab>',
        'Call-ID: bad-tcp',
        'CSeq: 99999999999 MESSAGE',
        'Content-Length: 2',
        '',
        'hi',
      ].join('\r\n'),
    );
    expect(await peer.next()).toMatchObject({ status: 400 });
    peer.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKstill'));
    expect(await peer.next()).toMatchObject({ status: 200 });
  });

  const bigHead = (length: number) =>
    [
      'MESSAGE sip:pf@ims.lab SIP/2.0',
      // Via names a port where nothing listens: the answer must use the connection the request came on.
      'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKbig',
      'From: <sip:alice@ims.lab>;tag=a1',
      'To: <sip:pf@ims.lab>',
      'Call-ID: too-big',
      'CSeq: 1 MESSAGE',
      `Content-Length: ${length}`,
      '',
      '',
    ].join('\r\n');

  it('RFC 3261 §21.5.14: an oversized request on TCP gets 513 on its connection, which stays up for the next request', async () => {
    const transport = await listen({ maxMessageSize: 2048 });
    answerAll(transport);
    const closed: FlowClosed[] = [];
    transport.on('flow-closed', (f) => closed.push(f));
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write(bigHead(100_000));
    expect(await peer.next()).toMatchObject({ status: 513 });
    peer.socket.write(Buffer.alloc(100_000, 0x41));
    peer.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKnext'));
    expect(await peer.next()).toMatchObject({ status: 200 });
    expect(closed).toEqual([]);
  });

  it('RFC 3261 §18.2.2: the 513 for a fatal framing error goes back on the open connection before it is closed (not to the Via port)', async () => {
    const transport = await listen({ maxMessageSize: 2048 });
    answerAll(transport);
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write(bigHead(MAX_SKIPPED_BODY + 1));
    expect(await peer.next()).toMatchObject({ status: 513 });
    await once(peer.socket, 'close');
  });

  it('slow-loris bound: a connection that sends no complete message, or dribbles one, is closed (stalled) after messageTimeoutMs', async () => {
    const transport = await listen({ messageTimeoutMs: 150 });
    answerAll(transport);
    const closed: FlowClosed[] = [];
    transport.on('flow-closed', (f) => closed.push(f));
    const silent = await tcpPeer(transport.addresses.tcp!.port);
    const dribbler = await tcpPeer(transport.addresses.tcp!.port);
    const request = rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKdrip');
    let sent = 0;
    // One byte at a time, never completing within the window; the deadline is not reset by each byte.
    const drip = setInterval(() => {
      if (sent < request.length - 1 && !dribbler.socket.destroyed)
        dribbler.socket.write(request.subarray(sent, ++sent));
    }, 20);
    try {
      await Promise.all([once(silent.socket, 'close'), once(dribbler.socket, 'close')]);
    } finally {
      clearInterval(drip);
    }
    while (closed.filter((f) => f.reason === 'stalled').length < 2) await once(transport, 'flow-closed');
    // A well-behaved connection stays: its message came in time, and it may then stay quiet.
    const good = await tcpPeer(transport.addresses.tcp!.port);
    good.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKgood1'));
    expect(await good.next()).toMatchObject({ status: 200 });
    good.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKgood2'));
    expect(await good.next()).toMatchObject({ status: 200 });
    expect(good.socket.destroyed).toBe(false);
  });

  it('no stall: a malformed head whose body arrives in a later read gets its 400, and the next request on the connection is answered', async () => {
    const transport = await listen();
    answerAll(transport);
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write(
      [
        'MESSAGE sip:pf@ims.lab SIP/2.0',
        'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKsplit',
        'From: <sip:alice@ims.lab>;tag=a1',
        'To: <sip:pf@ims.lab>',
        'Call-ID: split-bad',
        'CSeq: 1 INVITE',
        'Content-Length: 4',
        '',
        '',
      ].join('\r\n'),
    );
    // The body follows in its own segment, once the head has surely been read.
    await new Promise<void>((resolve) => peer.socket.write('', () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    peer.socket.write('body');
    expect(await peer.next()).toMatchObject({ status: 400 });
    peer.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKafter'));
    expect(await peer.next()).toMatchObject({ status: 200 });
  });

  it('no header injection: a message with CRLF in a header value is refused (TransportError send-failed, cause SipSerializeError) and no byte is sent', async () => {
    const trace = new WireTrace();
    const out: WireTraceEvent[] = [];
    trace.subscribe((e) => out.push(e));
    const transport = await listen({ trace });
    const receiver = await listen();
    const seen: unknown[] = [];
    receiver.on('message', (m) => seen.push(m));
    receiver.on('malformed', (m) => seen.push(m));
    const m = new SipRequest('MESSAGE', 'sip:bob@ims.lab');
    m.append('Via', 'SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKinj');
    m.append('Subject', 'x\r\nX-Injected: yes');
    const udp = receiver.addresses.udp!;
    const err = await transport
      .send(m, { transport: 'udp', address: udp.address, port: udp.port })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('send-failed');
    expect((err as Error).cause).toBeInstanceOf(SipSerializeError);
    const tcp = receiver.addresses.tcp!;
    await expect(
      transport.send(m, { transport: 'tcp', address: tcp.address, port: tcp.port }),
    ).rejects.toThrow(TransportError);
    expect(out).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('maxConnections: at the cap the oldest connection that never sent a message is evicted for a new one; proven flows stay; refusals are one aggregated warning; outbound connects fail with too-many-connections', async () => {
    const transport = await listen({ maxConnections: 2, capReportIntervalMs: 50 });
    answerAll(transport);
    const errors: TransportError[] = [];
    transport.on('error', (e) => errors.push(e));
    const closed: FlowClosed[] = [];
    transport.on('flow-closed', (f) => closed.push(f));
    const port = transport.addresses.tcp!.port;
    const proven = await tcpPeer(port);
    proven.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKproven'));
    expect(await proven.next()).toMatchObject({ status: 200 });
    const idle = await tcpPeer(port);
    while (transport.flows().length < 2) await once(transport, 'flow-opened');
    // A third connection: the idle one (no complete message yet) makes room; the proven one stays.
    const third = await tcpPeer(port);
    await once(idle.socket, 'close');
    while (!closed.some((f) => f.reason === 'evicted')) await once(transport, 'flow-closed');
    third.socket.write(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKthird'));
    expect(await third.next()).toMatchObject({ status: 200 });
    // Both flows proven: the next ones are refused, and reported once, aggregated.
    const refused = await Promise.all([tcpPeer(port), tcpPeer(port), tcpPeer(port)]);
    await Promise.all(refused.map((r) => once(r.socket, 'close')));
    while (!errors.some((e) => e.code === 'too-many-connections')) await once(transport, 'error');
    const reports = errors.filter((e) => e.code === 'too-many-connections');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.message).toMatch(/3 inbound connection\(s\) refused, 1 idle one\(s\) evicted/);
    expect(proven.socket.destroyed).toBe(false);
    const request = parseMessage(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKmax'));
    await expect(
      transport.send(request, { transport: 'tcp', address: '127.0.0.1', port: 9 }),
    ).rejects.toMatchObject({
      code: 'too-many-connections',
    });
  });

  it('RFC 5626 §4.3: when the peer closes a flow, flow-closed names it and a send to it fails with flow-closed', async () => {
    const transport = await listen();
    const seen = answerAll(transport);
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    peer.socket.write(rawRequest('REGISTER', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKgone'));
    await peer.next();
    const flowId = seen[0]!.source.flowId!;
    const closed = once(transport, 'flow-closed');
    peer.socket.end();
    const [info] = (await closed) as [FlowClosed];
    expect(info).toMatchObject({ flowId, reason: 'peer' });
    const request = parseMessage(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKlate'));
    const failure = await transport
      .send(request, { transport: 'tcp', address: '127.0.0.1', port: 9, flowId })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransportError);
    expect(failure).toMatchObject({ code: 'flow-closed', context: { flowId } });
  });

  it('a refused connect fails with connect-failed', async () => {
    const transport = await listen();
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const request = parseMessage(rawRequest('OPTIONS', 'SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKrefused'));
    await expect(
      transport.send(request, { transport: 'tcp', address: '127.0.0.1', port }),
    ).rejects.toMatchObject({
      code: 'connect-failed',
    });
  });

  it('idle timeout: a silent connection is closed with reason idle', async () => {
    const transport = await listen({ idleTimeoutMs: 50 });
    const closed = once(transport, 'flow-closed');
    const peer = await tcpPeer(transport.addresses.tcp!.port);
    const [info] = (await closed) as [FlowClosed];
    expect(info.reason).toBe('idle');
    if (!peer.socket.closed) await once(peer.socket, 'close');
  });
});
