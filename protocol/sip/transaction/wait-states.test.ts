// Wait states kept by the layer (wait-state.ts): a transaction in Completed, Confirmed or Accepted that nobody
// else holds is garbage at once, and the layer still does what its state does (RFC 3261 §17.1.1.2, §17.1.2.2,
// §17.2.1, §17.2.2, §9.2; RFC 6026 §7.1, §7.2) until the state's timer ends it.
import { describe, expect, it, vi } from 'vitest';
import { collected } from '../../../test-support/gc.js';
import { createRequest, createResponse, newCallId } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { serializeMessage } from '../serializer.js';
import { ExpiryQueue, type TransactionLayer } from './index.js';
import { fakeLayerPerTest } from './test-support/fake-layer.js';
import { type FakeTransport, udpSource } from './test-support/fake-transport.js';

const T1 = 500;
const UDP = { transport: 'udp' as const, address: '10.0.0.2', port: 5060 };

let transport: FakeTransport;
let layer: TransactionLayer;
fakeLayerPerTest((t, l) => {
  transport = t;
  layer = l;
});

function request(method: string, branch?: string): SipRequest {
  const r = createRequest({
    method,
    uri: 'sip:bob@ims.lab',
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:bob@ims.lab>',
    callId: newCallId(),
    cseq: 3,
  });
  if (branch) r.headers.unshift({ name: 'Via', value: `SIP/2.0/UDP 10.0.0.2:5062;branch=${branch}` });
  return r;
}

const wire = (m: SipResponse | SipRequest) => serializeMessage(m).toString('latin1');

describe('server transactions in a wait state, held by nobody', () => {
  it('RFC 3261 §17.2.2: Completed answers a retransmitted request with the same final response until Timer J, then a new transaction starts', async () => {
    let handled = 0;
    let ref: WeakRef<object> | undefined;
    layer.onRequest((_request, tx) => {
      handled++;
      ref = new WeakRef(tx);
      void tx.reply(200);
    });
    const message = request('MESSAGE', 'z9hG4bKwait-j');
    transport.deliver(message, udpSource());
    await vi.advanceTimersByTimeAsync(0);
    expect(await collected(ref!)).toEqual([true]);
    expect(layer.size.server).toBe(1);

    transport.deliver(message.clone(), udpSource());
    await vi.advanceTimersByTimeAsync(0);
    const answers = transport.responses(200);
    expect(answers).toHaveLength(2);
    expect(wire(answers[1]!)).toBe(wire(answers[0]!));
    expect(transport.sent[1]!.target).toEqual(transport.sent[0]!.target);
    expect(handled).toBe(1);

    await vi.advanceTimersByTimeAsync(64 * T1);
    expect(layer.size.server).toBe(0);
    transport.deliver(message.clone(), udpSource());
    expect(handled).toBe(2);
  });

  it('RFC 6026 §7.1, RFC 3261 §9.2: Accepted absorbs INVITE retransmissions, passes a matching ACK to the TU as matched, and answers a CANCEL 200 with its To tag', async () => {
    let ref: WeakRef<object> | undefined;
    let toTag = '';
    layer.onRequest((_request, tx) => {
      ref = new WeakRef(tx);
      toTag = tx.toTag;
      void tx.reply(200);
    });
    const acks: Array<{ transaction: unknown } | undefined> = [];
    layer.onAck((_ack, _source, matched) => acks.push(matched));
    const invite = request('INVITE', 'z9hG4bKwait-l');
    transport.deliver(invite, udpSource());
    await vi.advanceTimersByTimeAsync(0);
    expect(await collected(ref!)).toEqual([true]);
    const sent = transport.sent.length;

    transport.deliver(invite.clone(), udpSource());
    expect(transport.sent.length).toBe(sent);

    const ack = invite.clone();
    ack.method = 'ACK';
    ack.set('CSeq', '3 ACK');
    transport.deliver(ack, udpSource());
    expect(acks).toEqual([{ transaction: undefined }]);

    const cancel = invite.clone();
    cancel.method = 'CANCEL';
    cancel.set('CSeq', '3 CANCEL');
    transport.deliver(cancel, udpSource());
    await vi.advanceTimersByTimeAsync(0);
    const answer = transport.responses(200).find((r) => r.cseq.method === 'CANCEL');
    expect(answer?.toTag).toBe(toTag);
    expect(transport.responses(487)).toHaveLength(0);

    await vi.advanceTimersByTimeAsync(64 * T1);
    expect(layer.size.server).toBe(0);
  });
});

describe('client transactions in a wait state, held by nobody', () => {
  it('RFC 6026 §7.2: Accepted passes further 2xx to onAdditional2xx until Timer M, then to onStrayResponse', async () => {
    const extra: number[] = [];
    const stray: number[] = [];
    layer.onStrayResponse((r) => stray.push(r.status));
    let tx: { request: SipRequest; final: Promise<SipResponse> } | undefined = layer.sendRequest(
      request('INVITE'),
      UDP,
      { onAdditional2xx: (r) => extra.push(r.status) },
    );
    const fork = (tag: string) => createResponse(tx!.request, 200, undefined, tag);
    const first = fork('b1');
    const second = fork('b2');
    transport.deliver(first, udpSource());
    await tx.final;
    const ref = new WeakRef(tx);
    tx = undefined;
    expect(await collected(ref)).toEqual([true]);

    transport.deliver(second, udpSource());
    expect(extra).toEqual([200]);
    await vi.advanceTimersByTimeAsync(64 * T1);
    expect(layer.size.client).toBe(0);
    transport.deliver(second.clone(), udpSource());
    expect(extra).toEqual([200]);
    expect(stray).toEqual([200]);
  });

  it('RFC 3261 §17.1.1.2: Completed sends the ACK again for a retransmitted non-2xx until Timer D', async () => {
    let tx: { request: SipRequest; final: Promise<SipResponse> } | undefined = layer.sendRequest(
      request('INVITE'),
      UDP,
    );
    const busy = createResponse(tx.request, 486, undefined, 'b1');
    transport.deliver(busy, udpSource());
    await tx.final;
    const ref = new WeakRef(tx);
    tx = undefined;
    expect(await collected(ref)).toEqual([true]);
    expect(transport.requests('ACK')).toHaveLength(1);

    transport.deliver(busy.clone(), udpSource());
    await vi.advanceTimersByTimeAsync(0);
    const acks = transport.requests('ACK');
    expect(acks).toHaveLength(2);
    expect(wire(acks[1]!)).toBe(wire(acks[0]!));

    await vi.advanceTimersByTimeAsync(32_000);
    expect(layer.size.client).toBe(0);
  });

  it('a transaction the TU still holds reaches Terminated when its wait ends (RFC 3261 Timer K)', async () => {
    const tx = layer.sendRequest(request('MESSAGE'), UDP);
    transport.deliver(createResponse(tx.request, 200, undefined, 'b1'), udpSource());
    await tx.final;
    expect(tx.state).toBe('Completed');
    await vi.advanceTimersByTimeAsync(5000 - 1);
    expect(tx.state).toBe('Completed');
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe('Terminated');
  });
});

describe('ExpiryQueue', () => {
  it('expires each entry its duration after it was added, in order, with one timer', async () => {
    const expired: string[] = [];
    const queue = new ExpiryQueue<string>(1000, (item) => expired.push(item));
    queue.add('a');
    await vi.advanceTimersByTimeAsync(300);
    queue.add('b');
    queue.add('c');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(699);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(299);
    expect(expired).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clear() forgets every entry and its timer; an entry that throws does not stop the others', async () => {
    const expired: number[] = [];
    const queue = new ExpiryQueue<number>(10, (n) => {
      if (n === 1) throw new Error('boom');
      expired.push(n);
    });
    queue.add(1);
    queue.add(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(expired).toEqual([2]);
    queue.add(3);
    queue.clear();
    await vi.advanceTimersByTimeAsync(100);
    expect(expired).toEqual([2]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
