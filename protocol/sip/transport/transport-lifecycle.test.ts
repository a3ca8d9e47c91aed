// Lifecycle of the transport layer; its own file so that the handle count is not disturbed by other tests.
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, newCallId } from '../builders.js';
import type { SipRequest } from '../message.js';
import { SipTransportLayer } from './index.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function options(via: string): SipRequest {
  const request = createRequest({
    method: 'OPTIONS',
    uri: 'sip:pf@ims.lab',
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:pf@ims.lab>',
    callId: newCallId(),
    cseq: 1,
  });
  request.headers.unshift({ name: 'Via', value: via });
  return request;
}

function answerAll(transport: SipTransportLayer): void {
  transport.on('message', (message, source) => {
    if (message.isRequest) void transport.sendResponse(createResponse(message, 200), source).catch(() => {});
  });
}

const socketHandles = () =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap' || r === 'UDPWrap').length;

describe('lifecycle', () => {
  it('close() closes listeners and every connection and leaves no socket handles', async () => {
    const before = socketHandles();
    const a = await SipTransportLayer.listen({ udp: { port: 0 }, tcp: { port: 0 } });
    const b = await SipTransportLayer.listen({ udp: { port: 0 }, tcp: { port: 0 } });
    answerAll(b);
    const got = new Promise((resolve) => a.once('message', resolve));
    await a.send(options(`SIP/2.0/TCP 127.0.0.1:${a.addresses.tcp!.port};branch=z9hG4bKlc`), {
      transport: 'tcp',
      address: '127.0.0.1',
      port: b.addresses.tcp!.port,
    });
    await got;
    // 2 UDP sockets, 2 TCP listeners, 2 connection ends.
    expect(socketHandles()).toBe(before + 6);
    await Promise.all([a.close(), b.close()]);
    expect(socketHandles()).toBe(before);
    await expect(
      a.send(options('SIP/2.0/UDP h;branch=z9hG4bKx'), { transport: 'udp', address: '127.0.0.1', port: 9 }),
    ).rejects.toMatchObject({ code: 'closed' });
  });

  it('listen reports bound ports, and uses one port number for UDP and TCP when both are ephemeral', async () => {
    const transport = await SipTransportLayer.listen({ udp: { port: 0 }, tcp: { port: 0 } });
    cleanups.push(() => transport.close());
    const { udp, tcp } = transport.addresses;
    expect(udp!.port).toBeGreaterThan(0);
    expect(tcp!.port).toBe(udp!.port);
    expect(transport.sentBy('udp')).toEqual({ address: '127.0.0.1', port: udp!.port });
    expect(transport.sentBy('tcp')).toEqual({ address: '127.0.0.1', port: tcp!.port });
  });

  it('listen rejects with a TransportError when the port is taken, and leaves nothing open', async () => {
    const first = await SipTransportLayer.listen({ tcp: { port: 0 } });
    cleanups.push(() => first.close());
    const before = socketHandles();
    await expect(
      SipTransportLayer.listen({ udp: { port: 0 }, tcp: { port: first.addresses.tcp!.port } }),
    ).rejects.toMatchObject({ name: 'TransportError', code: 'socket-error' });
    expect(socketHandles()).toBe(before);
  });
});
