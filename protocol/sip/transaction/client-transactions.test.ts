import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createRequest, createResponse, newCallId } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { TransportError } from '../transport/index.js';
import {
  InviteClientState,
  type InviteClientTransaction,
  localFailureOf,
  NonInviteClientState,
  type NonInviteClientTransaction,
  TransactionLayer,
} from './index.js';
import { fakeLayerPerTest } from './test-support/fake-layer.js';
import { type FakeTransport, udpSource } from './test-support/fake-transport.js';

const T1 = 500;
const T2 = 4000;
const T4 = 5000;
const UDP = { transport: 'udp' as const, address: '10.0.0.2', port: 5060 };
const TCP = { transport: 'tcp' as const, address: '10.0.0.2', port: 5060 };

function request(method: string): SipRequest {
  return createRequest({
    method,
    uri: 'sip:bob@ims.lab',
    from: '<sip:alice@ims.lab>;tag=a1',
    to: '<sip:bob@ims.lab>',
    callId: newCallId(),
    cseq: 1,
  });
}

function answer(tx: { request: SipRequest }, status: number, toTag = 'b1'): SipResponse {
  return createResponse(tx.request, status, undefined, toTag);
}

let transport: FakeTransport;
let layer: TransactionLayer;
fakeLayerPerTest((t, l) => {
  transport = t;
  layer = l;
});

/** Times (ms since start) at which `method` was sent, sampled by advancing fake time step by step. */
async function sendTimes(method: string, until: number, step = 100): Promise<number[]> {
  const times: number[] = [];
  let seen = transport.requests(method).length;
  for (let i = 0; i < seen; i++) times.push(0);
  for (let t = step; t <= until; t += step) {
    await vi.advanceTimersByTimeAsync(step);
    const now = transport.requests(method).length;
    for (; seen < now; seen++) times.push(t);
  }
  return times;
}

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('RFC 3261 §17.1.1.2: timer A doubles from T1 and timer B (64*T1) reports a timeout as 408', async () => {
    const tx = layer.sendRequest(request('INVITE'), UDP) as InviteClientTransaction;
    const times = await sendTimes('INVITE', 64 * T1 - 100);
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(tx.state).toBe(InviteClientState.Calling);
    await vi.advanceTimersByTimeAsync(100);
    const final = await tx.final;
    expect(final.status).toBe(408);
    expect(localFailureOf(final)).toBe('timeout');
    expect(tx.state).toBe(InviteClientState.Terminated);
    expect(layer.size.client).toBe(0);
  });

  it('RFC 3261 §17.1.1.2: a provisional response stops retransmissions, is passed up, and timer B no longer applies', async () => {
    const provisional: number[] = [];
    const tx = layer.sendRequest(request('INVITE'), UDP, {
      onProvisional: (r) => provisional.push(r.status),
    });
    await vi.advanceTimersByTimeAsync(600); // one retransmission
    transport.deliver(answer(tx, 180), udpSource());
    expect(provisional).toEqual([180]);
    expect(tx.state).toBe(InviteClientState.Proceeding);
    const before = transport.requests('INVITE').length;
    await vi.advanceTimersByTimeAsync(64 * T1 * 2);
    expect(transport.requests('INVITE').length).toBe(before);
    expect(tx.state).toBe(InviteClientState.Proceeding);
    expect(tx.finalResponse).toBeUndefined();
  });

  it('RFC 3261 §17.1.1.3: a non-2xx final response is ACKed by the transaction with To from the response and the INVITE top Via', async () => {
    const invite = request('INVITE');
    invite.append('Route', '<sip:pcscf.ims.lab;lr>');
    const tx = layer.sendRequest(invite, UDP);
    transport.deliver(answer(tx, 486), udpSource());
    expect((await tx.final).status).toBe(486);
    expect(tx.state).toBe(InviteClientState.Completed);
    const [ack] = transport.requests('ACK') as SipRequest[];
    expect(ack).toBeDefined();
    expect(ack!.uri).toBe(invite.uri);
    expect(ack!.getAll('via')).toEqual([invite.getAll('via')[0]]);
    expect(ack!.callId).toBe(invite.callId);
    expect(ack!.get('from')).toBe(invite.get('from'));
    expect(ack!.toTag).toBe('b1');
    expect(ack!.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(ack!.getAll('route')).toEqual(['<sip:pcscf.ims.lab;lr>']);
    // The ACK goes where the INVITE went.
    expect(transport.sent.find((r) => r.message === ack)?.target).toMatchObject(UDP);
  });

  it('RFC 3261 §17.1.1.2: in Completed, a retransmitted final response gets the ACK again and is not passed up; timer D ends it', async () => {
    const finals: number[] = [];
    const tx = layer.sendRequest(request('INVITE'), UDP);
    void tx.final.then((r) => finals.push(r.status));
    transport.deliver(answer(tx, 603), udpSource());
    transport.deliver(answer(tx, 603), udpSource());
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.requests('ACK')).toHaveLength(2);
    expect(finals).toEqual([603]);
    await vi.advanceTimersByTimeAsync(32_000 - 1);
    expect(tx.state).toBe(InviteClientState.Completed);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe(InviteClientState.Terminated);
  });

  it('RFC 6026 §7.2: a 2xx moves the transaction to Accepted; further 2xx go to the TU until timer M, then to onStrayResponse', async () => {
    const extra: SipResponse[] = [];
    const stray: SipResponse[] = [];
    layer.onStrayResponse((r) => stray.push(r));
    const tx = layer.sendRequest(request('INVITE'), UDP, { onAdditional2xx: (r) => extra.push(r) });
    transport.deliver(answer(tx, 200, 'fork1'), udpSource());
    expect((await tx.final).toTag).toBe('fork1');
    expect(tx.state).toBe(InviteClientState.Accepted);
    transport.deliver(answer(tx, 200, 'fork2'), udpSource());
    transport.deliver(answer(tx, 486, 'fork3'), udpSource()); // discarded in Accepted
    expect(extra.map((r) => r.toTag)).toEqual(['fork2']);
    expect(transport.requests('ACK')).toHaveLength(0); // the ACK for 2xx is the TU's (§13.2.2.4)
    await vi.advanceTimersByTimeAsync(64 * T1);
    expect(tx.state).toBe(InviteClientState.Terminated);
    transport.deliver(answer(tx, 200, 'fork1'), udpSource());
    expect(stray).toHaveLength(1);
  });

  it('RFC 3261 §17.1.1.2: over a reliable transport there is no timer A and timer D is zero', async () => {
    const tx = layer.sendRequest(request('INVITE'), TCP);
    await vi.advanceTimersByTimeAsync(64 * T1 - 1);
    expect(transport.requests('INVITE')).toHaveLength(1);
    transport.deliver(answer(tx, 404), udpSource());
    expect(transport.requests('ACK')).toHaveLength(1);
    expect(tx.state).toBe(InviteClientState.Terminated);
  });

  it('RFC 3261 §17.1.1.2, §8.1.3.1: a transport error terminates the transaction and reaches the TU as 503', async () => {
    transport.failWith = new TransportError('connect-failed', 'refused');
    const tx = layer.sendRequest(request('INVITE'), TCP);
    const final = await tx.final;
    expect(final.status).toBe(503);
    expect(localFailureOf(final)).toBe('transport-error');
    expect(tx.transportError?.code).toBe('connect-failed');
    expect(tx.state).toBe(InviteClientState.Terminated);
  });

  it('RFC 5626 §4.3: the close of the flow a request went out on ends the transaction with a transport error', async () => {
    const tx = layer.sendRequest(request('INVITE'), { ...TCP, flowId: 'flow-7' });
    await vi.advanceTimersByTimeAsync(0);
    expect(tx.flowId).toBe('flow-7');
    transport.emit('flow-closed', {
      flowId: 'flow-7',
      transport: 'tcp',
      direction: 'inbound',
      local: transport.local,
      remote: { address: '10.0.0.2', port: 40000 },
    });
    const final = await tx.final;
    expect(final.status).toBe(503);
    expect(tx.transportError?.code).toBe('flow-closed');
  });
});

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('RFC 3261 §17.1.2.2: timer E doubles from T1 up to T2 and timer F (64*T1) reports a timeout as 408', async () => {
    const tx = layer.sendRequest(request('OPTIONS'), UDP) as NonInviteClientTransaction;
    const times = await sendTimes('OPTIONS', 64 * T1 - 100);
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    await vi.advanceTimersByTimeAsync(100);
    const final = await tx.final;
    expect(final.status).toBe(408);
    expect(localFailureOf(final)).toBe('timeout');
    expect(tx.state).toBe(NonInviteClientState.Terminated);
  });

  it('RFC 3261 §17.1.2.2: in Proceeding, timer E retransmits every T2', async () => {
    const tx = layer.sendRequest(request('MESSAGE'), UDP);
    await vi.advanceTimersByTimeAsync(600); // sent at 0, 500; next E due at 1500
    transport.deliver(answer(tx, 100), udpSource());
    expect(tx.state).toBe(NonInviteClientState.Proceeding);
    const times = await sendTimes('MESSAGE', 14_000);
    // 0 0 are the two sends so far; then 1500 (the pending E), then every T2.
    expect(times.slice(2).map((t) => t + 600)).toEqual([1500, 1500 + T2, 1500 + 2 * T2, 1500 + 3 * T2]);
  });

  it('RFC 3261 §17.1.2.2: a final response completes the transaction; retransmissions are absorbed and timer K (T4) ends it', async () => {
    const stray: SipResponse[] = [];
    layer.onStrayResponse((r) => stray.push(r));
    const tx = layer.sendRequest(request('OPTIONS'), UDP);
    transport.deliver(answer(tx, 200), udpSource());
    expect((await tx.final).status).toBe(200);
    expect(tx.state).toBe(NonInviteClientState.Completed);
    const sends = transport.requests('OPTIONS').length;
    transport.deliver(answer(tx, 200), udpSource());
    expect(stray).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(T4 - 1);
    expect(tx.state).toBe(NonInviteClientState.Completed);
    expect(transport.requests('OPTIONS').length).toBe(sends);
    await vi.advanceTimersByTimeAsync(1);
    expect(tx.state).toBe(NonInviteClientState.Terminated);
  });

  it('RFC 3261 §17.1.2.2: over a reliable transport there is no timer E and timer K is zero', async () => {
    const tx = layer.sendRequest(request('REGISTER'), TCP);
    await vi.advanceTimersByTimeAsync(64 * T1 - 1);
    expect(transport.requests('REGISTER')).toHaveLength(1);
    transport.deliver(answer(tx, 200), udpSource());
    expect(tx.state).toBe(NonInviteClientState.Terminated);
  });

  it('RFC 3261 §17.1.2.2, §8.1.3.1: timer F fires over TCP too (408)', async () => {
    const tx = layer.sendRequest(request('REGISTER'), TCP);
    await vi.advanceTimersByTimeAsync(64 * T1);
    expect((await tx.final).status).toBe(408);
  });
});

describe('client transaction matching and the layer (RFC 3261 §17.1.3, §18.1.1, §9.1)', () => {
  it('RFC 3261 §18.1.1, RFC 3581 §3: sendRequest adds a top Via with the transport, sent-by, a new branch and rport', () => {
    const tx = layer.sendRequest(request('OPTIONS'), TCP);
    const via = tx.request.topVia;
    expect(via.transport).toBe('TCP');
    expect(`${via.host}:${via.port}`).toBe('10.0.0.1:5060');
    expect(tx.branch.startsWith('z9hG4bK')).toBe(true);
    expect(via.params.get('branch')).toBe(tx.branch);
    expect(via.params.has('rport')).toBe(true);
  });

  it('RFC 3261 §17.1.3: a response matches by branch and CSeq method; a CANCEL with the INVITE branch is a separate transaction', async () => {
    const stray: SipResponse[] = [];
    layer.onStrayResponse((r) => stray.push(r));
    const invite = layer.sendRequest(request('INVITE'), UDP);
    transport.deliver(answer(invite, 180), udpSource());
    const cancelled = layer.cancel(invite);
    await vi.advanceTimersByTimeAsync(0);
    const [cancel] = transport.requests('CANCEL') as SipRequest[];
    expect(cancel).toBeDefined();
    expect(cancel!.topVia.params.get('branch')).toBe(invite.branch);
    // 200 to the CANCEL goes to the CANCEL transaction, not the INVITE one.
    transport.deliver(createResponse(cancel!, 200, undefined, 'b1'), udpSource());
    expect((await cancelled)?.status).toBe(200);
    expect(invite.state).toBe(InviteClientState.Proceeding);
    transport.deliver(answer(invite, 487), udpSource());
    expect((await invite.final).status).toBe(487);
    // Other branch → stray.
    const other = answer(invite, 200);
    other.set('Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKother');
    transport.deliver(other, udpSource());
    expect(stray).toHaveLength(1);
  });

  it('RFC 3261 §9.1: CANCEL is built with the INVITE Request-URI, Call-ID, From, To, CSeq number, top Via and Route', async () => {
    const invite = request('INVITE');
    invite.append('Route', '<sip:pcscf.ims.lab;lr>');
    const tx = layer.sendRequest(invite, UDP);
    const cancelled = layer.cancel(tx);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.requests('CANCEL')).toHaveLength(0); // §9.1: not before a provisional response
    transport.deliver(answer(tx, 183), udpSource());
    await vi.advanceTimersByTimeAsync(0);
    const [cancel] = transport.requests('CANCEL') as SipRequest[];
    expect(cancel!.uri).toBe(invite.uri);
    expect(cancel!.callId).toBe(invite.callId);
    expect(cancel!.get('from')).toBe(invite.get('from'));
    expect(cancel!.get('to')).toBe(invite.get('to'));
    expect(cancel!.cseq).toEqual({ seq: 1, method: 'CANCEL' });
    expect(cancel!.getAll('via')).toEqual([invite.getAll('via')[0]]);
    expect(cancel!.getAll('route')).toEqual(['<sip:pcscf.ims.lab;lr>']);
    transport.deliver(createResponse(cancel!, 200), udpSource());
    await cancelled;
  });

  it('RFC 3261 §9.1: no CANCEL is sent once the INVITE has a final response', async () => {
    const tx = layer.sendRequest(request('INVITE'), UDP);
    const cancelled = layer.cancel(tx);
    transport.deliver(answer(tx, 486), udpSource());
    expect(await cancelled).toBeUndefined();
    expect(transport.requests('CANCEL')).toHaveLength(0);
  });

  it('RFC 3261 §9.1: without a final response 64*T1 after the CANCEL, the INVITE transaction gives up (408)', async () => {
    const tx = layer.sendRequest(request('INVITE'), UDP);
    transport.deliver(answer(tx, 180), udpSource());
    void layer.cancel(tx);
    await vi.advanceTimersByTimeAsync(64 * T1);
    expect((await tx.final).status).toBe(408);
    expect(tx.state).toBe(InviteClientState.Terminated);
  });

  it('RFC 3261 §17.1.1.1: T1/T2 are configurable (T1 = 20 ms → A at 20, 60, 140 ms)', async () => {
    layer.close();
    layer = new TransactionLayer(transport, { timers: { t1: 20, t2: T2 } });
    onTestFinished(() => layer.close());
    layer.sendRequest(request('INVITE'), UDP);
    const times = await sendTimes('INVITE', 150, 10);
    expect(times).toEqual([0, 20, 60, 140]);
  });

  it('close() settles pending client transactions with a local 503 and leaves no timers', async () => {
    const tx = layer.sendRequest(request('OPTIONS'), UDP);
    layer.close();
    const final = await tx.final;
    expect(final.status).toBe(503);
    expect(localFailureOf(final)).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});
