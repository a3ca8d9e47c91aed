import { once } from 'node:events';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MsrpConnection } from './connection.js';
import type { MsrpFrame } from './frame.js';
import { MsrpParser } from './parser.js';
import { buildRequest } from './serializer.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A connected pair: our MsrpConnection on one end, a plain socket with a frame parser on the other. */
async function pair(): Promise<{
  connection: MsrpConnection;
  frames: MsrpFrame[];
  peerClosed: Promise<unknown>;
}> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const ours = connect({ host: '127.0.0.1', port: address.port });
  await once(ours, 'connect');
  const [peer] = await accepted;
  const frames: MsrpFrame[] = [];
  const parser = new MsrpParser();
  peer.on('data', (d: Buffer) => {
    for (const e of parser.push(d)) if (e.type === 'frame') frames.push(e.frame);
  });
  peer.on('error', () => {});
  const connection = new MsrpConnection(ours);
  connection.on('socket-error', () => {});
  cleanups.push(() => {
    peer.destroy();
    ours.destroy();
    server.close();
  });
  return { connection, frames, peerClosed: once(peer, 'close') };
}

function send(i: number) {
  return buildRequest({
    method: 'SEND',
    toPath: 'msrp://127.0.0.1:1/peer;tcp',
    fromPath: 'msrp://127.0.0.1:2/us;tcp',
    transactionId: `t${i}`,
    headers: [
      { name: 'Message-ID', value: `m${i}` },
      { name: 'Byte-Range', value: '1-2/2' },
    ],
    contentType: 'text/plain',
    body: Buffer.from('hi'),
  });
}

describe('MsrpConnection writes', () => {
  it('RFC 4975 §7: frames written in one turn all reach the peer, in order, framed by their end-lines', async () => {
    const { connection, frames } = await pair();
    for (let i = 0; i < 50; i++) expect(connection.send(send(i))).toBe(true);
    await expect.poll(() => frames.length).toBe(50);
    expect(frames.map((f) => f.transactionId)).toEqual(Array.from({ length: 50 }, (_, i) => `t${i}`));
  });

  it('destroy() right after send(): what was written before still leaves (the write is not held back)', async () => {
    const { connection, frames, peerClosed } = await pair();
    connection.send(send(1));
    connection.send(send(2));
    connection.destroy();
    await peerClosed;
    expect(frames.map((f) => f.transactionId)).toEqual(['t1', 't2']);
  });
});
