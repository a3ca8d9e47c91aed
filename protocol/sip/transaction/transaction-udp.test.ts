// Transactions over real UDP sockets on 127.0.0.1 with a short T1; synchronisation by events only.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, newCallId } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { parseMessage } from '../parser.js';
import { serializeMessage } from '../serializer.js';
import { SipTransportLayer } from '../transport/index.js';
import { InviteServerState, type InviteServerTransaction, TransactionLayer } from './index.js';

const TIMERS = { t1: 20, t2: 80, t4: 200 };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function endpoint(): Promise<{ transport: SipTransportLayer; layer: TransactionLayer }> {
  const transport = await SipTransportLayer.listen({ udp: { host: '127.0.0.1', port: 0 } });
  const layer = new TransactionLayer(transport, { timers: TIMERS });
  cleanups.push(() => transport.close());
  cleanups.push(() => layer.close());
  return { transport, layer };
}

async function rawPeer(): Promise<{
  socket: Socket;
  port: number;
  received: SipMessage[];
  next: () => Promise<SipMessage>;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const received: SipMessage[] = [];
  const waiters: Array<(m: SipMessage) => void> = [];
  socket.on('message', (buf) => {
    const message = parseMessage(buf);
    received.push(message);
    waiters.shift()?.(message);
  });
  return {
    socket,
    port: socket.address().port,
    received,
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

type SipMessage = SipRequest | SipResponse;

function request(method: string, uri: string): SipRequest {
  return createRequest({
    method,
    uri,
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:pf@ims.lab>',
    callId: newCallId(),
    cseq: 1,
  });
}

function sendRaw(socket: Socket, message: SipMessage, port: number): void {
  socket.send(serializeMessage(message), port, '127.0.0.1');
}

describe('transactions over UDP (RFC 3261 §17, real sockets)', () => {
  it('RFC 3261 §17.1.2.2: request retransmissions stop once a final response arrives', async () => {
    const { layer } = await endpoint();
    const peer = await rawPeer();
    const tx = layer.sendRequest(request('OPTIONS', 'sip:pf@ims.lab'), {
      transport: 'udp',
      address: '127.0.0.1',
      port: peer.port,
    });
    // Wait for the first transmission and two retransmissions (timer E).
    while (peer.received.length < 3) await peer.next();
    const first = peer.received[0] as SipRequest;
    for (const r of peer.received) expect(serializeMessage(r).equals(serializeMessage(first))).toBe(true);
    sendRaw(peer.socket, createResponse(first, 200, undefined, 'b1'), Number(first.topVia.port));
    expect((await tx.final).status).toBe(200);
    const countAtFinal = peer.received.length;
    await tx.terminated; // timer K (T4 = 200 ms ≫ T2): E would have fired several times if still running
    expect(peer.received.length).toBeLessThanOrEqual(countAtFinal + 1); // one may have been in flight
  });

  it('RFC 3261 §17.2.1: a non-2xx final response to INVITE is retransmitted until the ACK arrives', async () => {
    const { transport, layer } = await endpoint();
    let serverTx: InviteServerTransaction | undefined;
    layer.onRequest((_r, tx) => {
      if (tx.kind === 'invite') serverTx = tx;
      void tx.reply(486);
    });
    const peer = await rawPeer();
    const invite = request('INVITE', 'sip:pf@ims.lab');
    invite.headers.unshift({
      name: 'Via',
      value: `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKudp486;rport`,
    });
    sendRaw(peer.socket, invite, transport.addresses.udp!.port);
    const busy = () => peer.received.filter((m) => !m.isRequest && m.status === 486).length;
    while (busy() < 3) await peer.next();
    expect(peer.received[0]).toMatchObject({ status: 100 });
    const ack = invite.clone();
    ack.method = 'ACK';
    ack.set('CSeq', '1 ACK');
    ack.set('To', (peer.received.find((m) => !m.isRequest && m.status === 486) as SipResponse).get('to')!);
    sendRaw(peer.socket, ack, transport.addresses.udp!.port);
    const atAck = busy();
    await serverTx!.terminated; // Confirmed → timer I (T4) → Terminated
    expect(serverTx!.state).toBe(InviteServerState.Terminated);
    expect(busy()).toBeLessThanOrEqual(atAck + 1);
  });

  it('RFC 3261 §9.1, §9.2: CANCEL of a ringing INVITE gets 200, the INVITE gets 487 and is ACKed', async () => {
    const uac = await endpoint();
    const uas = await endpoint();
    let serverTx: InviteServerTransaction | undefined;
    uas.layer.onRequest((_r, tx) => {
      if (tx.kind === 'invite') {
        serverTx = tx;
        void tx.reply(180);
      }
    });
    const tx = uac.layer.sendRequest(request('INVITE', 'sip:bob@ims.lab'), {
      transport: 'udp',
      address: '127.0.0.1',
      port: uas.transport.addresses.udp!.port,
    });
    const cancelResponse = await uac.layer.cancel(tx);
    expect(cancelResponse?.status).toBe(200);
    const final = await tx.final;
    expect(final.status).toBe(487);
    expect(final.toTag).toBe(cancelResponse?.toTag);
    // The ACK for the 487 moves the server transaction out of Completed.
    while (serverTx!.state === InviteServerState.Completed) await once(uas.transport, 'message');
    expect(serverTx!.cancelled).toBe(true);
    expect([InviteServerState.Confirmed, InviteServerState.Terminated]).toContain(serverTx!.state);
  });
});
