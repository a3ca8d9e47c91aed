import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { createServer, type Socket, connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireTrace } from '../../protocol/trace/index.js';
import { type TraceRecord, TraceRecorder } from '../../runtime/index.js';
import { mergeNodeTraces, type mergeTraces } from './index.js';
import {
  aliceMsrp,
  aliceSip,
  cscf,
  inviteFromPf,
  PF_SESSION,
  pfMsrp,
  pfSip,
  recordDeferredFlow,
  T0,
} from './test-support/deferred-flow.js';
import { msrpRequest, msrpResponse, type Party, RecordedLab, sipMessage } from './test-support/messages.js';

const FLOW = [
  'pf>cscf INVITE',
  'cscf>alice INVITE',
  'alice>cscf 200 OK (INVITE)',
  'cscf>pf 200 OK (INVITE)',
  'pf>cscf ACK',
  'cscf>alice ACK',
  'alice>pf MSRP SEND',
  'pf>alice MSRP 200',
  'pf>alice MSRP SEND',
  'alice>pf MSRP 200',
  'pf>cscf BYE',
  'cscf>alice BYE',
  'alice>cscf 200 OK (BYE)',
  'cscf>pf 200 OK (BYE)',
];

const summary = (hops: ReturnType<typeof mergeTraces>): string[] =>
  hops.map((h) => `${h.from}>${h.to} ${h.label}`);

describe('mergeTraces', () => {
  it("merges the sender's 'out' and the receiver's 'in' of each message into one hop", () => {
    const lab = recordDeferredFlow();
    const records = lab.records();
    expect(records.flat()).toHaveLength(28);
    const hops = mergeNodeTraces(records);
    expect(summary(hops)).toEqual(FLOW);
    expect(hops.every((h) => h.seenBy === 'both' && h.out && h.in)).toBe(true);
    expect(hops.map((h) => h.index)).toEqual(FLOW.map((_, i) => i));
    const invite = hops[0]!;
    expect(invite).toMatchObject({
      protocol: 'sip',
      transport: 'udp',
      src: { address: '127.0.0.1', port: 5070 },
      dst: { address: '127.0.0.1', port: 5060 },
      sentAt: T0,
      receivedAt: T0 + 0.4,
      time: T0,
      startLine: 'INVITE sip:alice@ims.lab SIP/2.0',
      callId: 'd1-5f3a9c@127.0.0.1',
    });
    expect(invite.raw.equals(inviteFromPf())).toBe(true);
    expect(hops[7]).toMatchObject({ protocol: 'msrp', transport: 'tcp', msrpTransactionId: 'a1b2c3d4' });
    expect(hops[7]!.out!.node).toBe('pf');
    expect(hops[7]!.in!.node).toBe('alice');
  });

  it('pairs the two views despite a few ms of clock skew and keeps causal order when clocks disagree', () => {
    // alice's clock runs 9 ms behind: by timestamps her 200 OK (T0+1) would precede the INVITE she answers (T0+2).
    const hops = mergeNodeTraces(recordDeferredFlow({ skew: { alice: -9, pf: 3 } }).records());
    expect(summary(hops)).toEqual(FLOW);
    expect(hops.every((h) => h.seenBy === 'both')).toBe(true);
    expect(hops[2]!.sentAt).toBe(T0 + 1);
    expect(hops[1]!.sentAt).toBe(T0 + 2);
    expect(hops[1]!.receivedAt).toBeCloseTo(T0 + 2.4 - 9, 6);
  });

  it('RFC 4975 §9 / §8.2: a peer that records nothing, on an MSRP port a lab node used earlier, is named by its session, not as that node', () => {
    const lab = recordDeferredFlow({ aliceUnrecorded: true });
    // A minute earlier bob's client had an MSRP connection to the PF from the port alice's connects from now.
    const bobEarlier: Party = { node: 'bob', address: aliceMsrp.address };
    const bobPath = 'msrp://127.0.0.1:40002/b0bS3ss;tcp';
    const pfPath = `msrp://127.0.0.1:7394/${PF_SESSION};tcp`;
    lab.send(bobEarlier, pfMsrp, msrpRequest('b0b1', 'SEND', pfPath, bobPath, [['Byte-Range', '1-0/0']]), {
      at: T0 - 60_000,
      protocol: 'msrp',
      transport: 'tcp',
    });
    const hops = mergeNodeTraces(lab.records(), { peerNames: { '*': 'alice' } });
    expect(summary(hops).slice(1)).toEqual([...FLOW]);
    // Without a session to go by, the address still names the node that used it.
    expect(summary(hops)[0]).toBe('bob>pf MSRP SEND');
  });

  it('keeps one-sided records, naming the unrecorded peer by its address (or a configured name)', () => {
    const lab = recordDeferredFlow({ pfUnrecorded: true });
    const hops = mergeNodeTraces(lab.records());
    const named = FLOW.map((line) =>
      line.replace(/^pf>/, '127.0.0.1:5070>').replace(/>pf /, '>127.0.0.1:5070 '),
    ).map((line) => (line.includes('MSRP') ? line.replaceAll('127.0.0.1:5070', '127.0.0.1:7394') : line));
    expect(summary(hops)).toEqual(named);
    expect(hops[0]).toMatchObject({ seenBy: 'receiver', receivedAt: T0 + 0.4, time: T0 + 0.4 });
    expect(hops[0]!.sentAt).toBeUndefined();
    expect(hops[3]).toMatchObject({ seenBy: 'sender', sentAt: T0 + 11 });
    expect(hops[1]!.seenBy).toBe('both');

    const sipp = mergeNodeTraces(lab.records(), {
      peerNames: { '127.0.0.1:5070': 'sipp', '127.0.0.1': 'peer' },
    });
    expect(sipp.slice(0, 4).map((h) => `${h.from}>${h.to}`)).toEqual([
      'sipp>cscf',
      'cscf>alice',
      'alice>cscf',
      'cscf>sipp',
    ]);
    expect(sipp[6]!.to).toBe('peer');
  });

  it('names a peer after a lab node whose records show the address even if it missed this message', () => {
    const lab = new RecordedLab();
    const options = { transport: 'udp' } as const;
    lab.send(pfSip, cscf, sipMessage('OPTIONS sip:cscf SIP/2.0', [['Call-ID', 'o1']]), {
      at: T0,
      ...options,
    });
    lab.send(
      cscf,
      pfSip,
      sipMessage('SIP/2.0 200 OK', [
        ['Call-ID', 'o1'],
        ['CSeq', '1 OPTIONS'],
      ]),
      {
        at: T0 + 1,
        recordIn: false,
      },
    );
    expect(summary(mergeNodeTraces(lab.records()))).toEqual(['pf>cscf OPTIONS', 'cscf>pf 200 OK (OPTIONS)']);
  });

  it('resolves crossing messages by the earlier send before later hops that only one side saw', () => {
    // bob and the PF each send an MSRP message before receiving the other's (crossing); meanwhile alice talks
    // to a CSCF that records nothing (Kamailio). Her later hops must not run ahead of the crossing pair.
    const lab = new RecordedLab();
    const pf: Party = { node: 'pf', address: { address: '127.0.0.1', port: 7394 } };
    const bob: Party = { node: 'bob', address: { address: '127.0.0.1', port: 40_003 } };
    const alice: Party = { node: 'alice', address: { address: '127.0.0.1', port: 40_001 } };
    const kamailio: Party = { node: 'kamailio', address: { address: '127.0.0.1', port: 5060 } };
    const msrp = { protocol: 'msrp', transport: 'tcp' } as const;
    const path = (a: number, b: number) =>
      [`msrp://127.0.0.1:${a}/x;tcp`, `msrp://127.0.0.1:${b}/y;tcp`] as const;
    lab.send(bob, pf, msrpResponse('b0b00001', 200, 'OK', ...path(7394, 40_003)), {
      at: T0,
      latency: 9,
      ...msrp,
    });
    lab.send(
      pf,
      bob,
      msrpRequest('pf000001', 'SEND', ...path(40_003, 7394), [], { type: 'text/plain', content: 'hi' }),
      {
        at: T0 + 2,
        latency: 1,
        ...msrp,
      },
    );
    lab.send(alice, kamailio, sipMessage('REGISTER sip:ims.lab SIP/2.0', [['Call-ID', 'r1']]), {
      at: T0 + 50,
      recordIn: false,
    });
    const hops = mergeNodeTraces(lab.records(), { peerNames: { '127.0.0.1:5060': 'cscf' } });
    expect(summary(hops)).toEqual(['bob>pf MSRP 200', 'pf>bob MSRP SEND', 'alice>cscf REGISTER']);
  });

  it('pairs UDP retransmissions (RFC 3261 §17.1.1.2, same bytes) each with its own receipt', () => {
    const lab = new RecordedLab({ cscf: 2 });
    const invite = inviteFromPf();
    lab.send(pfSip, cscf, invite, { at: T0, latency: 0.3 });
    lab.send(pfSip, cscf, invite, { at: T0 + 500, latency: 0.9 });
    lab.send(pfSip, cscf, invite, { at: T0 + 1500, recordIn: false });
    const hops = mergeNodeTraces(lab.records());
    const ms = (t: number | undefined): number | null =>
      t === undefined ? null : Math.round((t - T0) * 10) / 10;
    expect(hops.map((h) => [ms(h.sentAt), ms(h.receivedAt)])).toEqual([
      [0, 2.3],
      [500, 502.9],
      [1500, null],
    ]);
  });

  it('does not merge views further apart than matchWindowMs', () => {
    const lab = new RecordedLab({ cscf: 40 });
    lab.send(pfSip, cscf, inviteFromPf(), { at: T0 });
    expect(mergeNodeTraces(lab.records(), { matchWindowMs: 30 }).map((h) => h.seenBy)).toEqual([
      'sender',
      'receiver',
    ]);
    expect(mergeNodeTraces(lab.records(), { matchWindowMs: 50 }).map((h) => h.seenBy)).toEqual(['both']);
  });

  it('does not merge different bytes of the same length between the same endpoints', () => {
    const lab = new RecordedLab();
    const a = msrpResponse('aaaa1111', 200, 'OK', 'msrp://127.0.0.1:1/x;tcp', 'msrp://127.0.0.1:2/y;tcp');
    const b = msrpResponse('bbbb2222', 200, 'OK', 'msrp://127.0.0.1:1/x;tcp', 'msrp://127.0.0.1:2/y;tcp');
    const from: Party = { node: 'pf', address: { address: '127.0.0.1', port: 7394 } };
    const to: Party = { node: 'alice', address: { address: '127.0.0.1', port: 40_002 } };
    const msrp = { protocol: 'msrp', transport: 'tcp' } as const;
    lab.send(from, to, a, { at: T0, ...msrp, recordIn: false });
    lab.send(from, to, b, { at: T0, ...msrp, recordOut: false });
    expect(mergeNodeTraces(lab.records()).map((h) => `${h.seenBy} ${h.msrpTransactionId}`)).toEqual([
      'sender aaaa1111',
      'receiver bbbb2222',
    ]);
  });

  it('merges a copy cut by one recorder (maxRawBytes) with the whole one and keeps the longer', () => {
    const big = msrpRequest(
      'cut12345',
      'SEND',
      'msrp://127.0.0.1:7394/s;tcp',
      'msrp://127.0.0.1:40002/t;tcp',
      [],
      {
        type: 'text/plain',
        content: 'y'.repeat(5000),
      },
    );
    const event = {
      protocol: 'msrp',
      transport: 'tcp',
      local: { address: '127.0.0.1', port: 40_002 },
      remote: { address: '127.0.0.1', port: 7394 },
      raw: big,
    } as const;
    const alice = new TraceRecorder({ node: 'alice', maxRawBytes: 1000 });
    const pf = new TraceRecorder({ node: 'pf' });
    alice.record({ ...event, time: T0, direction: 'out' });
    pf.record({ ...event, time: T0 + 1, direction: 'in', local: event.remote, remote: event.local });
    const hops = mergeNodeTraces([alice.query().records, pf.query().records]);
    expect(hops).toHaveLength(1);
    expect(hops[0]!.raw.equals(big)).toBe(true);
    expect(hops[0]!.rawLength).toBe(big.length);
  });

  it('maps a wildcard-bound local address (0.0.0.0) to its node by port', () => {
    const lab = new RecordedLab();
    const wildcardCscf: Party = { node: 'cscf', address: { address: '0.0.0.0', port: 5060 } };
    lab.send(wildcardCscf, pfSip, sipMessage('OPTIONS sip:pf SIP/2.0', [['Call-ID', 'w1']]), {
      at: T0,
      recordIn: false,
    });
    lab.send(
      pfSip,
      cscf,
      sipMessage('SIP/2.0 200 OK', [
        ['Call-ID', 'w1'],
        ['CSeq', '1 OPTIONS'],
      ]),
      {
        at: T0 + 1,
        recordIn: false,
      },
    );
    expect(summary(mergeNodeTraces(lab.records()))).toEqual(['cscf>pf OPTIONS', 'pf>cscf 200 OK (OPTIONS)']);
  });

  it('property: every message becomes one hop with both views; each node’s sends keep their order', () => {
    const nodes: Party[] = [aliceSip, cscf, pfSip];
    const message = fc.record({
      from: fc.integer({ min: 0, max: 2 }),
      to: fc.integer({ min: 0, max: 1 }),
      gap: fc.double({ min: 0, max: 20, noNaN: true }),
      latency: fc.double({ min: 0, max: 5, noNaN: true }),
      body: fc.string({ maxLength: 12 }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 30 }),
        fc.record({ alice: fc.integer({ min: -8, max: 8 }), cscf: fc.integer({ min: -8, max: 8 }) }),
        (messages, skew) => {
          const lab = new RecordedLab(skew);
          let t = T0;
          messages.forEach((m, i) => {
            t += m.gap;
            const from = nodes[m.from]!;
            const to = nodes.filter((n) => n !== from)[m.to]!;
            const raw = sipMessage(`MESSAGE sip:x SIP/2.0`, [
              ['Call-ID', `c${i}`],
              ['Subject', m.body],
            ]);
            lab.send(from, to, raw, { at: t, latency: m.latency });
          });
          const hops = mergeNodeTraces(lab.records());
          expect(hops).toHaveLength(messages.length);
          for (const hop of hops) {
            expect(hop.seenBy).toBe('both');
            expect(hop.out!.raw.equals(hop.in!.raw)).toBe(true);
          }
          for (const node of ['alice', 'cscf', 'pf']) {
            const mine = hops.map((h) => h.out).filter((r): r is TraceRecord => r?.node === node);
            const ids = mine.map((r) => r.id);
            expect(ids).toEqual([...ids].sort((a, b) => a - b));
          }
        },
      ),
    );
  });

  it('merges traces of real SIP/UDP and MSRP/TCP traffic on 127.0.0.1 sockets', async () => {
    const traces = { alice: new WireTrace(), pf: new WireTrace() };
    const recorders = { alice: new TraceRecorder({ node: 'alice' }), pf: new TraceRecorder({ node: 'pf' }) };
    recorders.alice.attach(traces.alice);
    recorders.pf.attach(traces.pf);
    const now = (): number => performance.timeOrigin + performance.now();

    // SIP over UDP: alice → pf MESSAGE, pf → alice 200 OK.
    const aliceUdp = createSocket('udp4');
    const pfUdp = createSocket('udp4');
    await Promise.all([
      new Promise<void>((r) => aliceUdp.bind(0, '127.0.0.1', r)),
      new Promise<void>((r) => pfUdp.bind(0, '127.0.0.1', r)),
    ]);
    const aAddr = aliceUdp.address();
    const pAddr = pfUdp.address();
    const request = sipMessage('MESSAGE sip:pf@127.0.0.1 SIP/2.0', [
      ['Call-ID', 'real-1'],
      ['CSeq', '1 MESSAGE'],
    ]);
    const response = sipMessage('SIP/2.0 200 OK', [
      ['Call-ID', 'real-1'],
      ['CSeq', '1 MESSAGE'],
    ]);
    pfUdp.on('message', (msg, rinfo) => {
      const remote = { address: rinfo.address, port: rinfo.port };
      const local = { address: pAddr.address, port: pAddr.port };
      traces.pf.publish({
        time: now(),
        protocol: 'sip',
        direction: 'in',
        transport: 'udp',
        local,
        remote,
        raw: msg,
      });
      traces.pf.publish({
        time: now(),
        protocol: 'sip',
        direction: 'out',
        transport: 'udp',
        local,
        remote,
        raw: response,
      });
      pfUdp.send(response, rinfo.port, rinfo.address);
    });
    const gotResponse = once(aliceUdp, 'message');
    const aLocal = { address: aAddr.address, port: aAddr.port };
    const pRemote = { address: pAddr.address, port: pAddr.port };
    traces.alice.publish({
      time: now(),
      protocol: 'sip',
      direction: 'out',
      transport: 'udp',
      local: aLocal,
      remote: pRemote,
      raw: request,
    });
    aliceUdp.send(request, pAddr.port, pAddr.address);
    const [reply] = (await gotResponse) as [Buffer];
    traces.alice.publish({
      time: now(),
      protocol: 'sip',
      direction: 'in',
      transport: 'udp',
      local: aLocal,
      remote: pRemote,
      raw: reply,
    });

    // MSRP over TCP: alice connects (a=setup:active) and sends SEND; pf answers 200.
    const send = msrpRequest('tcp00001', 'SEND', 'msrp://127.0.0.1:1/pf;tcp', 'msrp://127.0.0.1:2/al;tcp');
    const ok = msrpResponse('tcp00001', 200, 'OK', 'msrp://127.0.0.1:2/al;tcp', 'msrp://127.0.0.1:1/pf;tcp');
    const ends = (s: Socket) => ({
      local: { address: s.localAddress!, port: s.localPort! },
      remote: { address: s.remoteAddress!, port: s.remotePort! },
    });
    const server = createServer((s) => {
      s.once('data', (data) => {
        traces.pf.publish({
          time: now(),
          protocol: 'msrp',
          direction: 'in',
          transport: 'tcp',
          ...ends(s),
          raw: data,
        });
        traces.pf.publish({
          time: now(),
          protocol: 'msrp',
          direction: 'out',
          transport: 'tcp',
          ...ends(s),
          raw: ok,
        });
        s.end(ok);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    traces.alice.publish({
      time: now(),
      protocol: 'msrp',
      direction: 'out',
      transport: 'tcp',
      ...ends(client),
      raw: send,
    });
    client.write(send);
    const [data] = (await once(client, 'data')) as [Buffer];
    traces.alice.publish({
      time: now(),
      protocol: 'msrp',
      direction: 'in',
      transport: 'tcp',
      ...ends(client),
      raw: data,
    });
    client.destroy();
    server.close();
    aliceUdp.close();
    pfUdp.close();

    const hops = mergeNodeTraces([recorders.alice.query().records, recorders.pf.query().records]);
    expect(summary(hops)).toEqual([
      'alice>pf MESSAGE',
      'pf>alice 200 OK (MESSAGE)',
      'alice>pf MSRP SEND',
      'pf>alice MSRP 200',
    ]);
    expect(hops.every((h) => h.seenBy === 'both')).toBe(true);
    expect(hops[2]!.dst.port).toBe(port);
    expect(hops[3]!.src.port).toBe(port);
  });
});
