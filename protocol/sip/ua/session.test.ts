import { afterEach, describe, expect, it } from 'vitest';
import { Dialog } from '../dialog/index.js';
import { createRequest, newCallId, newTag, type SipRequest, type SipResponse } from '../index.js';
import { TransactionLayer } from '../transaction/index.js';
import { FAST_TIMERS, hopOf, nextEvent, startUa, uriOf } from '../test-support/ua.js';
import { SipTransportLayer, type TransportKind } from '../transport/index.js';
import { SipRequestError, UaError } from './errors.js';
import type { InviteSession, TerminationReason } from './session.js';
import type { UserAgent } from './user-agent.js';

const OFFER =
  'v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 7394 TCP/MSRP *\r\n';
const ANSWER =
  'v=0\r\no=bob 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 7395 TCP/MSRP *\r\n';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ua(user: string, options: Parameters<typeof startUa>[1] = {}): Promise<UserAgent> {
  const agent = await startUa(user, options);
  cleanups.push(() => agent.close());
  return agent;
}

/** A bare transaction layer as a scripted peer (to delay ACKs, send stray requests...). */
async function rawPeer(): Promise<{ transport: SipTransportLayer; layer: TransactionLayer }> {
  const transport = await SipTransportLayer.listen({ udp: {}, tcp: {} });
  const layer = new TransactionLayer(transport, { timers: FAST_TIMERS });
  cleanups.push(async () => {
    layer.close();
    await transport.close();
  });
  return { transport, layer };
}

function peerInvite(peer: SipTransportLayer, to: string, transport: TransportKind): SipRequest {
  const local = peer.sentBy(transport)!;
  return createRequest({
    method: 'INVITE',
    uri: to,
    from: `<sip:peer@ims.lab>;tag=${newTag()}`,
    to: `<${to}>`,
    callId: newCallId(),
    cseq: 1,
    headers: [
      ['Contact', `<sip:peer@${local.address}:${local.port}${transport === 'tcp' ? ';transport=tcp' : ''}>`],
    ],
    body: Buffer.from(OFFER),
    contentType: 'application/sdp',
  });
}

describe.each<TransportKind>(['udp', 'tcp'])('RFC 3261 §13 INVITE session over %s', (transport) => {
  it('§13.2.2.4/§13.3.1.4: INVITE/180/200/ACK with offer/answer, the UAS sees the ACK, BYE ends both sides', async () => {
    const alice = await ua('alice', { defaultTransport: transport });
    const bob = await ua('bob');
    const bobSession = new Promise<InviteSession>((resolve, reject) => {
      bob.on('INVITE', async (req, res) => {
        expect(req.body.toString()).toBe(OFFER);
        await res.progress(180);
        const session = await res.accept({ body: ANSWER, contentType: 'application/sdp' });
        resolve(session);
      });
      bob.onError(reject);
    });
    const provisional: number[] = [];
    const call = alice.invite(uriOf(bob, 'bob', transport), {
      body: OFFER,
      contentType: 'application/sdp',
      onProvisional: (r) => provisional.push(r.status),
    });
    const aliceSession = await call.session;
    expect(provisional).toEqual([100, 180]);
    expect(aliceSession.remoteBody.toString()).toBe(ANSWER);
    expect(aliceSession.response.get('contact')).toContain('bob@');
    const session = await bobSession;
    // D1.v: the UAS learns of the ACK before it starts media.
    const ack = await session.acked;
    expect(ack.method).toBe('ACK');
    expect(ack.cseq).toEqual({ seq: 1, method: 'ACK' });
    expect(session.state).toBe('confirmed');
    expect(session.remoteBody.toString()).toBe(OFFER);
    expect(session.path.transport).toBe(transport);

    const bye = nextEvent<[SipRequest]>(session, 'bye');
    const ended = session.ended;
    const byeResponse = await aliceSession.bye();
    expect(byeResponse?.status).toBe(200);
    expect((await bye)[0].method).toBe('BYE');
    expect(await ended).toBe<TerminationReason>('remote-bye');
    expect(aliceSession.state).toBe('terminated');
    expect(alice.dialogCount).toBe(0);
    expect(bob.dialogCount).toBe(0);
  });

  it('§12.2.1.1: in-dialog INFO reaches the session; a lower CSeq is refused with 500 (§12.2.2)', async () => {
    const alice = await ua('alice', { defaultTransport: transport });
    const bob = await ua('bob');
    const bobSession = new Promise<InviteSession>((resolve) => {
      bob.on('INVITE', async (_req, res) =>
        resolve(await res.accept({ body: ANSWER, contentType: 'application/sdp' })),
      );
    });
    const aliceSession = await alice.invite(uriOf(bob, 'bob', transport), {
      body: OFFER,
      contentType: 'application/sdp',
    }).session;
    const session = await bobSession;
    session.on('request', (req, res) => {
      void res.send(200, { body: `got ${req.body.toString()}`, contentType: 'text/plain' });
    });
    const ok = await aliceSession.request('INFO', { body: 'ping', contentType: 'text/plain' });
    expect(ok.body.toString()).toBe('got ping');
    aliceSession.dialog.localSeq = 0; // the next request reuses CSeq 1, below bob's remote sequence
    const error = await aliceSession.request('INFO').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipRequestError);
    expect((error as SipRequestError).status).toBe(500);
    await aliceSession.bye();
  });
});

describe('RFC 3261 INVITE rules', () => {
  it('§13.2.2: a non-2xx final response rejects with SipRequestError carrying the status', async () => {
    const alice = await ua('alice');
    const bob = await ua('bob');
    bob.on('INVITE', (_req, res) => void res.reject(486));
    const error = await alice.invite(uriOf(bob, 'bob', 'udp')).session.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipRequestError);
    expect((error as SipRequestError).status).toBe(486);
    expect((error as SipRequestError).reason).toBe('Busy Here');
  });

  it('§9.1/§9.2: CANCEL after the 180 → the INVITE ends with 487, the UAS is told', async () => {
    const alice = await ua('alice');
    const bob = await ua('bob');
    const cancelled = new Promise<boolean>((resolve) => {
      bob.on('INVITE', (_req, res) => {
        res.onCancel(() => resolve(res.cancelled));
        void res.progress(180);
      });
    });
    const call = alice.invite(uriOf(bob, 'bob', 'udp'), {
      onProvisional: (r) => {
        if (r.status === 180) void call.cancel();
      },
    });
    const error = await call.session.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipRequestError);
    expect((error as SipRequestError).status).toBe(487);
    expect(await cancelled).toBe(true);
  });

  it.each(['udp', 'tcp'] as const)(
    '§13.3.1.4: over %s the 2xx is retransmitted (T1, 2T1, 4T1...) until the ACK arrives; lost ACKs do not end the session',
    async (transport) => {
      const bob = await ua('bob');
      const peer = await rawPeer();
      const bobSession = new Promise<InviteSession>((resolve) => {
        bob.on('INVITE', async (_req, res) =>
          resolve(await res.accept({ body: ANSWER, contentType: 'application/sdp' })),
        );
      });
      let retransmissions = 0;
      let acked: () => void = () => {};
      const threeRetransmissions = new Promise<void>((resolve) => {
        acked = resolve;
      });
      const invite = peerInvite(peer.transport, uriOf(bob, 'bob', transport), transport);
      const tx = peer.layer.sendRequest(invite, hopOf(bob, transport), {
        // RFC 6026 §7.2: in Accepted, 2xx retransmissions reach the TU here.
        onAdditional2xx: () => {
          retransmissions++;
          if (retransmissions === 3) acked();
        },
      });
      const ok = await tx.final;
      expect(ok.status).toBe(200);
      const session = await bobSession;
      await threeRetransmissions; // the first ACKs are "lost": held back until bob has retransmitted three times
      expect(session.state).toBe('waiting-for-ack');
      const dialog = Dialog.fromUac(invite, ok);
      await peer.layer.sendStateless(dialog.createAck(1), hopOf(bob, transport));
      const ack = await session.acked;
      expect(ack.method).toBe('ACK');
      expect(session.state).toBe('confirmed');
      expect(retransmissions).toBeGreaterThanOrEqual(3);
      // The peer's BYE is answered and ends the session normally (no ACK timeout).
      const bye = await peer.layer.sendRequest(dialog.createRequest('BYE'), hopOf(bob, transport)).final;
      expect(bye.status).toBe(200);
      expect(await session.ended).toBe<TerminationReason>('remote-bye');
    },
  );

  it('§13.3.1.4: no ACK within 64*T1 → the UAS sends BYE; acked rejects with ack-timeout', async () => {
    const bob = await ua('bob');
    const peer = await rawPeer();
    const bobSession = new Promise<InviteSession>((resolve) => {
      bob.on('INVITE', async (_req, res) =>
        resolve(await res.accept({ body: ANSWER, contentType: 'application/sdp' })),
      );
    });
    const byeReceived = new Promise<SipRequest>((resolve) => {
      peer.layer.onRequest((req, tx) => {
        void tx.reply(200);
        resolve(req);
      });
    });
    const tx = peer.layer.sendRequest(
      peerInvite(peer.transport, uriOf(bob, 'bob', 'udp'), 'udp'),
      hopOf(bob, 'udp'),
    );
    expect((await tx.final).status).toBe(200);
    const session = await bobSession;
    const error = await session.acked.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UaError);
    expect((error as UaError).code).toBe('ack-timeout');
    const bye = await byeReceived;
    expect(bye.method).toBe('BYE');
    expect(await session.ended).toBe<TerminationReason>('ack-timeout');
  });

  it('§13.2.2.4: the UAC ACKs every retransmission of the 2xx', async () => {
    const alice = await ua('alice');
    const peer = await rawPeer();
    const acks: SipRequest[] = [];
    let third: () => void = () => {};
    const threeAcks = new Promise<void>((resolve) => {
      third = resolve;
    });
    peer.layer.onAck((ack) => {
      acks.push(ack);
      if (acks.length === 3) third();
    });
    peer.layer.onRequest(async (_req, tx) => {
      const local = peer.transport.sentBy('udp')!;
      await tx.reply(200, { headers: [['Contact', `<sip:peer@${local.address}:${local.port}>`]] });
      // Two retransmissions of the same 2xx, as a UAS does until the ACK arrives (§13.3.1.4).
      for (let i = 0; i < 2; i++) await peer.transport.sendResponse(tx.lastResponse!, tx.source);
    });
    const session = await alice.invite(`sip:peer@127.0.0.1:${peer.transport.sentBy('udp')!.port}`).session;
    await threeAcks;
    expect(acks.map((a) => a.cseq.seq)).toEqual([1, 1, 1]);
    // The same ACK each time (same branch): a retransmission, not a new request.
    expect(new Set(acks.map((a) => a.topVia.params.get('branch'))).size).toBe(1);
    expect(session.state).toBe('confirmed');
  });

  it('§12.2.2: a request within an unknown dialog gets 481', async () => {
    const bob = await ua('bob');
    const peer = await rawPeer();
    const bye = createRequest({
      method: 'BYE',
      uri: uriOf(bob, 'bob', 'udp'),
      from: `<sip:peer@ims.lab>;tag=${newTag()}`,
      to: `<sip:bob@ims.lab>;tag=${newTag()}`,
      callId: newCallId(),
      cseq: 2,
    });
    const response: SipResponse = await peer.layer.sendRequest(bye, hopOf(bob, 'udp')).final;
    expect(response.status).toBe(481);
  });
});
