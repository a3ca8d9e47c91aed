import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createRequest, newCallId } from '../builders.js';
import type { SipRequest } from '../message.js';
import { TransportError } from '../transport/index.js';
import {
  InviteServerState,
  type InviteServerTransaction,
  NonInviteServerState,
  type ServerTransaction,
  TransactionLayer,
} from './index.js';
import { fakeLayerPerTest } from './test-support/fake-layer.js';
import { type FakeTransport, tcpSource, udpSource } from './test-support/fake-transport.js';

const T1 = 500;
const T2 = 4000;
const T4 = 5000;

let counter = 0;
function incoming(method: string, branch = `z9hG4bKsrv${++counter}`, callId = newCallId()): SipRequest {
  const request = createRequest({
    method,
    uri: 'sip:pf@ims.lab',
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:pf@ims.lab>',
    callId,
    cseq: 7,
  });
  request.headers.unshift({ name: 'Via', value: `SIP/2.0/UDP 10.0.0.2:5062;branch=${branch}` });
  return request;
}

/** A copy of `request` as a retransmission (same bytes, new object). */
function again(request: SipRequest): SipRequest {
  return request.clone();
}

/** The ACK for a non-2xx: same branch as the INVITE (§17.1.1.3). */
function ackFor(invite: SipRequest, toTag: string): SipRequest {
  const ack = invite.clone();
  ack.method = 'ACK';
  ack.set('CSeq', `${invite.cseq.seq} ACK`);
  ack.set('To', `${invite.get('to')};tag=${toTag}`);
  return ack;
}

let transport: FakeTransport;
let layer: TransactionLayer;
let transactions: ServerTransaction[];

fakeLayerPerTest((t, l) => {
  transport = t;
  layer = l;
  transactions = [];
  layer.onRequest((_request, tx) => {
    transactions.push(tx);
  });
});

async function responseTimes(status: number, until: number, step = 100): Promise<number[]> {
  const times: number[] = [];
  let seen = transport.responses(status).length;
  for (let t = step; t <= until; t += step) {
    await vi.advanceTimersByTimeAsync(step);
    const now = transport.responses(status).length;
    for (; seen < now; seen++) times.push(t);
  }
  return times;
}

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  it('RFC 3261 §17.2.1: 100 Trying is sent at once, and a retransmitted INVITE gets the latest provisional again', async () => {
    const invite = incoming('INVITE');
    transport.deliver(invite, udpSource());
    expect(transport.responses(100)).toHaveLength(1);
    expect(transactions).toHaveLength(1);
    transport.deliver(again(invite), udpSource());
    expect(transport.responses(100)).toHaveLength(2);
    expect(transactions).toHaveLength(1); // absorbed: not a new request for the TU
    await transactions[0]!.reply(180);
    transport.deliver(again(invite), udpSource());
    expect(transport.responses(180)).toHaveLength(2);
  });

  it('RFC 3261 §17.2.1: a non-2xx final is retransmitted by timer G (T1 doubling up to T2) until the ACK; then Confirmed and timer I', async () => {
    const invite = incoming('INVITE');
    transport.deliver(invite, udpSource());
    const tx = transactions[0] as InviteServerTransaction;
    await tx.reply(486);
    expect(tx.state).toBe(InviteServerState.Completed);
    const times = await responseTimes(486, 12_000);
    expect(times).toEqual([500, 1500, 3500, 7500, 11500]);
    // A retransmitted INVITE in Completed gets the final response again.
    transport.deliver(again(invite), udpSource());
    expect(transport.responses(486)).toHaveLength(7);
    transport.deliver(ackFor(invite, tx.toTag), udpSource());
    expect(tx.state).toBe(InviteServerState.Confirmed);
    await vi.advanceTimersByTimeAsync(T4 - 1);
    expect(transport.responses(486)).toHaveLength(7);
    transport.deliver(ackFor(invite, tx.toTag), udpSource()); // absorbed in Confirmed
    expect(tx.state).toBe(InviteServerState.Confirmed);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe(InviteServerState.Terminated);
    expect(layer.size.server).toBe(0);
  });

  it('RFC 3261 §17.2.1: timer H (64*T1) without an ACK terminates the transaction and tells the TU', async () => {
    transport.deliver(incoming('INVITE'), udpSource());
    const tx = transactions[0] as InviteServerTransaction;
    let timedOut = false;
    tx.onTimeout(() => {
      timedOut = true;
    });
    await tx.reply(480);
    await vi.advanceTimersByTimeAsync(64 * T1 - 1);
    expect(tx.state).toBe(InviteServerState.Completed);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe(InviteServerState.Terminated);
    expect(timedOut).toBe(true);
    // G stopped at T2 spacing: 500, 1500, 3500, 7500, then every 4 s up to 32 s.
    expect(transport.responses(480).length).toBe(1 + 4 + Math.floor((32_000 - 7_500) / T2));
  });

  it('RFC 6026 §7.1: after a 2xx the transaction is Accepted: INVITE retransmissions are absorbed, the ACK goes to the TU, timer L ends it', async () => {
    const acks: Array<InviteServerTransaction | undefined> = [];
    layer.onAck((_ack, _source, matched) => acks.push(matched?.transaction));
    const invite = incoming('INVITE');
    transport.deliver(invite, udpSource());
    const tx = transactions[0] as InviteServerTransaction;
    await tx.reply(200);
    expect(tx.state).toBe(InviteServerState.Accepted);
    const sent = transport.sent.length;
    transport.deliver(again(invite), udpSource());
    expect(transport.sent.length).toBe(sent);
    // The TU's own 2xx retransmissions (§13.3.1.4) pass through.
    await tx.reply(200);
    expect(transport.responses(200)).toHaveLength(2);
    await tx.reply(500); // discarded in Accepted
    expect(transport.responses(500)).toHaveLength(0);
    transport.deliver(ackFor(invite, tx.toTag), udpSource());
    expect(acks).toEqual([tx]);
    await vi.advanceTimersByTimeAsync(64 * T1);
    expect(tx.state).toBe(InviteServerState.Terminated);
  });

  it('RFC 3261 §17.2.3, §13.3.1.4: an ACK with a new branch (ACK for 2xx) matches no transaction and goes to the TU', () => {
    const acks: Array<InviteServerTransaction | undefined> = [];
    layer.onAck((_ack, _source, matched) => acks.push(matched?.transaction));
    transport.deliver(incoming('ACK'), udpSource());
    expect(acks).toEqual([undefined]);
    expect(transactions).toHaveLength(0);
    expect(transport.sent).toHaveLength(0);
  });

  it('RFC 3261 §17.2.1: over a reliable transport there is no timer G and timer I is zero', async () => {
    const invite = incoming('INVITE');
    transport.deliver(invite, tcpSource());
    const tx = transactions[0] as InviteServerTransaction;
    await tx.reply(404);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.responses(404)).toHaveLength(1);
    expect(transport.sent.at(-1)?.target.flowId).toBe('flow-in-1');
    transport.deliver(ackFor(invite, tx.toTag), tcpSource());
    expect(tx.state).toBe(InviteServerState.Terminated);
  });

  it('RFC 3261 §17.2.4: a transport error while sending a response terminates the transaction and is reported', async () => {
    transport.deliver(incoming('INVITE'), udpSource());
    const tx = transactions[0] as InviteServerTransaction;
    const errors: string[] = [];
    tx.onTransportError((e) => errors.push(e.code));
    transport.failWith = new TransportError('flow-closed', 'gone');
    await tx.reply(486);
    expect(errors).toEqual(['flow-closed']);
    expect(tx.state).toBe(InviteServerState.Terminated);
  });

  it('RFC 3261 §8.2.6.2: reply() adds one To tag per transaction, shared by all its responses', async () => {
    transport.deliver(incoming('INVITE'), udpSource());
    const tx = transactions[0]!;
    await tx.reply(180);
    await tx.reply(200);
    const [r180] = transport.responses(180);
    const [r200] = transport.responses(200);
    expect(transport.responses(100)[0]!.toTag).toBeUndefined();
    expect(r180!.toTag).toBe(tx.toTag);
    expect(r200!.toTag).toBe(tx.toTag);
  });
});

describe('CANCEL at the UAS (RFC 3261 §9.2)', () => {
  it('RFC 3261 §9.2: a matching CANCEL gets 200 with the INVITE transaction To tag, and the INVITE gets 487', async () => {
    const invite = incoming('INVITE', 'z9hG4bKcancelme');
    transport.deliver(invite, udpSource());
    const tx = transactions[0] as InviteServerTransaction;
    const cancels: SipRequest[] = [];
    tx.onCancel((c) => cancels.push(c));
    await tx.reply(180);
    const cancel = incoming('CANCEL', 'z9hG4bKcancelme', invite.callId);
    cancel.set('CSeq', '7 CANCEL');
    transport.deliver(cancel, udpSource());
    await vi.advanceTimersByTimeAsync(0);
    expect(transactions).toHaveLength(1); // CANCEL is not handed to onRequest
    expect(cancels).toHaveLength(1);
    const [ok] = transport.responses(200);
    expect(ok!.cseq.method).toBe('CANCEL');
    expect(ok!.toTag).toBe(tx.toTag);
    const [terminated] = transport.responses(487);
    expect(terminated!.cseq.method).toBe('INVITE');
    expect(terminated!.toTag).toBe(tx.toTag);
    expect(tx.state).toBe(InviteServerState.Completed);
    expect(tx.cancelled).toBe(true);
  });

  it('RFC 3261 §9.2: a CANCEL matching no INVITE transaction gets 481', () => {
    transport.deliver(incoming('CANCEL'), udpSource());
    expect(transport.responses(481)).toHaveLength(1);
  });

  it('RFC 3261 §9.2: a CANCEL after the final response gets 200 and changes nothing', async () => {
    const invite = incoming('INVITE', 'z9hG4bKlate');
    transport.deliver(invite, udpSource());
    await transactions[0]!.reply(200);
    const cancel = incoming('CANCEL', 'z9hG4bKlate', invite.callId);
    transport.deliver(cancel, udpSource());
    expect(transport.responses(200).map((r) => r.cseq.method)).toEqual(['INVITE', 'CANCEL']);
    expect(transport.responses(487)).toHaveLength(0);
  });

  it('RFC 3261 §16.10: with autoRespond487 off, the CANCEL is answered 200 and left to the TU (proxy)', async () => {
    layer.close();
    layer = new TransactionLayer(transport, { autoRespond487: false });
    onTestFinished(() => layer.close());
    layer.onRequest((_r, tx) => {
      transactions.push(tx);
    });
    const invite = incoming('INVITE', 'z9hG4bKproxy');
    transport.deliver(invite, udpSource());
    let cancelled = false;
    (transactions[0] as InviteServerTransaction).onCancel(() => {
      cancelled = true;
    });
    transport.deliver(incoming('CANCEL', 'z9hG4bKproxy', invite.callId), udpSource());
    expect(cancelled).toBe(true);
    expect(transport.responses(200)).toHaveLength(1);
    expect(transport.responses(487)).toHaveLength(0);
  });
});

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('RFC 3261 §17.2.2: retransmissions are discarded in Trying, answered with the provisional in Proceeding and the final in Completed', async () => {
    const request = incoming('MESSAGE');
    transport.deliver(request, udpSource());
    const tx = transactions[0]!;
    expect(tx.state).toBe(NonInviteServerState.Trying);
    transport.deliver(again(request), udpSource());
    expect(transport.sent).toHaveLength(0);
    await tx.reply(100);
    expect(tx.state).toBe(NonInviteServerState.Proceeding);
    transport.deliver(again(request), udpSource());
    expect(transport.responses(100)).toHaveLength(2);
    await tx.reply(202);
    expect(tx.state).toBe(NonInviteServerState.Completed);
    transport.deliver(again(request), udpSource());
    expect(transport.responses(202)).toHaveLength(2);
    await tx.reply(500); // §17.2.2: discarded in Completed
    expect(transport.responses(500)).toHaveLength(0);
    expect(transactions).toHaveLength(1);
  });

  it('RFC 3261 §17.2.2: timer J is 64*T1 over UDP', async () => {
    transport.deliver(incoming('OPTIONS'), udpSource());
    const tx = transactions[0]!;
    await tx.reply(200);
    await vi.advanceTimersByTimeAsync(64 * T1 - 1);
    expect(tx.state).toBe(NonInviteServerState.Completed);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe(NonInviteServerState.Terminated);
    // A late retransmission is now a new request for the TU.
    expect(transactions).toHaveLength(1);
  });

  it('RFC 3261 §17.2.2: timer J is zero over a reliable transport', async () => {
    transport.deliver(incoming('REGISTER'), tcpSource());
    const tx = transactions[0]!;
    await tx.reply(200);
    expect(tx.state).toBe(NonInviteServerState.Terminated);
  });

  it('RFC 3261 §17.2.3: same branch but another sent-by or method is another transaction', () => {
    const a = incoming('OPTIONS', 'z9hG4bKsame');
    const b = incoming('OPTIONS', 'z9hG4bKsame');
    b.set('Via', 'SIP/2.0/UDP 10.0.0.3:5062;branch=z9hG4bKsame');
    const c = incoming('MESSAGE', 'z9hG4bKsame');
    for (const r of [a, b, c]) transport.deliver(r, udpSource());
    expect(transactions).toHaveLength(3);
  });

  it('RFC 3261 §17.2.3: without the magic cookie (RFC 2543), retransmissions still match by Request-URI, tags, Call-ID, CSeq and Via', async () => {
    const invite = incoming('INVITE', 'old2543');
    transport.deliver(invite, udpSource());
    transport.deliver(again(invite), udpSource());
    expect(transactions).toHaveLength(1);
    const tx = transactions[0] as InviteServerTransaction;
    await tx.reply(486);
    transport.deliver(ackFor(invite, tx.toTag), udpSource());
    expect(tx.state).toBe(InviteServerState.Confirmed);
  });

  it('a handler that throws gets the request answered with 500', () => {
    layer.onRequest(() => {
      throw new Error('boom');
    });
    const errors: unknown[] = [];
    layer.onError((e) => errors.push(e));
    transport.deliver(incoming('OPTIONS'), udpSource());
    expect(transport.responses(500)).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('close() terminates server transactions and leaves no timers', async () => {
    transport.deliver(incoming('INVITE'), udpSource());
    await transactions[0]!.reply(486);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    layer.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(transactions[0]!.state).toBe(InviteServerState.Terminated);
  });
});
