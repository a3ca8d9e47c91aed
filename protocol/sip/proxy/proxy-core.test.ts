import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse } from '../builders.js';
import { SipResponse } from '../message.js';
import type { SendTarget, TransportKind } from '../transport/index.js';
import {
  type Call,
  MiniUa,
  type Node,
  nextMessage,
  startNode,
  T1,
  TestProxy,
} from './test-support/harness.js';
import { BranchState, type ProxyTarget } from './types.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

async function node(autoRespond487 = true): Promise<Node> {
  const n = await startNode(autoRespond487);
  open.push(n);
  return n;
}

async function setup(
  kind: TransportKind | undefined,
  options: ConstructorParameters<typeof TestProxy>[2] = {},
) {
  const proxyNode = await startNode(false); // §16.10: the proxy answers the INVITE with the branches' 487
  const proxy = new TestProxy(proxyNode, kind, options);
  open.push(proxy);
  const alice = new MiniUa(await node(), 'alice');
  const bob = new MiniUa(await node(), 'bob');
  const carol = new MiniUa(await node(), 'carol');
  return { proxy, alice, bob, carol };
}

/** A UA reached directly over UDP at its listener. */
function direct(ua: MiniUa, kind: TransportKind = 'udp'): ProxyTarget {
  return {
    uri: `sip:${ua.user}@127.0.0.1:${ua.node.port(kind)};transport=${kind}`,
    next: { transport: kind, address: '127.0.0.1', port: ua.node.port(kind) },
  };
}

function firstProvisional(call: Call, status: number): Promise<void> {
  return new Promise((resolve) => call.tx.onProvisional((r) => r.status === status && resolve()));
}

/** Responses with `status` that reach `ua`'s socket. */
function countResponses(ua: MiniUa, status: number): { count: number } {
  const counter = { count: 0 };
  ua.node.transport.on('message', (m) => {
    if (!m.isRequest && m.status === status) counter.count++;
  });
  return counter;
}

async function deadPort(kind: TransportKind): Promise<number> {
  if (kind === 'udp') {
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const { port } = sock.address();
    await new Promise<void>((resolve) => sock.close(resolve));
    return port;
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe.each(['udp', 'tcp'] as const)('RFC 3261 §16 proxy core, basic call over %s', (kind) => {
  it(`§16.6/§16.7/§16.12: INVITE → 180 → 200 → ACK → BYE → 200 through a Record-Routing proxy (${kind})`, async () => {
    const { proxy, alice, bob } = await setup(kind);
    let bobFlow: string | undefined;
    let bobTarget: ProxyTarget = direct(bob, kind);
    if (kind === 'tcp') {
      // RFC 5626 §5.3: bob is reached over the flow he registered from, not at his listener.
      const reg = await bob.register(proxy.target('tcp'));
      expect(reg.response.status).toBe(200);
      bobFlow = reg.flowId;
      const next = proxy.registrations.get('bob');
      bobTarget = next ? { uri: `sip:bob@127.0.0.1:${bob.node.port('tcp')};transport=tcp`, next } : {};
    }
    proxy.route = () => [bobTarget];
    bob.onInvite = (_r, tx, ua) => {
      void tx.reply(180);
      void tx.reply(200, { headers: [['Contact', ua.contact(kind)]] });
    };

    const call = alice.call(proxy.target(kind), 'sip:bob@ims.lab');
    const ok = await call.tx.final;
    expect(ok.status).toBe(200);
    expect(call.provisional.map((r) => r.status)).toContain(180); // §16.7 step 5
    expect(ok.vias).toHaveLength(1); // §16.7 step 3: our Via popped
    expect(ok.getAll('record-route')).toEqual([`<${proxy.recordRoute}>`]);

    const invite = bob.requests.find((r) => r.request.method === 'INVITE');
    expect(invite?.request.vias).toHaveLength(2); // §16.6 step 8
    expect(invite?.request.get('max-forwards')).toBe('69'); // §16.6 step 3
    expect(invite?.request.uri).toBe(bobTarget.uri); // §16.6 step 2
    if (kind === 'tcp') expect(invite?.source.flowId).toBe(bobFlow);

    await alice.ack(call, ok);
    await bob.acked();
    const ack = bob.acks[0]!;
    expect(ack.request.vias).toHaveLength(2); // §16.11: the ACK for the 2xx went through the proxy
    expect(ack.request.has('route')).toBe(false); // §16.4: our Route removed
    if (kind === 'tcp') expect(ack.source.flowId).toBe(bobFlow);

    const byeOk = await alice.bye(call, ok);
    expect(byeOk.status).toBe(200);
    const bye = bob.requests.find((r) => r.request.method === 'BYE');
    expect(bye?.request.vias).toHaveLength(2);
    if (kind === 'tcp') expect(bye?.source.flowId).toBe(bobFlow);

    const outcome = await proxy.outcomes[0]!;
    expect(outcome.response.status).toBe(200);
    expect(proxy.outcomes).toHaveLength(2); // INVITE and BYE went through forward(); the ACK did not
    expect((await proxy.outcomes[1]!).response.status).toBe(200);
  });

  it(`§16.10: a CANCEL after 180 reaches the callee, whose 487 ends the caller's INVITE (${kind})`, async () => {
    const { proxy, alice, bob } = await setup(kind);
    proxy.route = () => [direct(bob, kind)];
    bob.onInvite = (_r, tx) => void tx.reply(180); // rings until cancelled
    const call = alice.call(proxy.target(kind), 'sip:bob@ims.lab');
    await firstProvisional(call, 180);
    const cancelOk = await alice.node.layer.cancel(call.tx, { headers: [['Reason', 'SIP;cause=480']] });
    expect(cancelOk?.status).toBe(200);
    const final = await call.tx.final;
    expect(final.status).toBe(487);
    expect(bob.cancels).toHaveLength(1);
    expect(bob.cancels[0]?.get('reason')).toBe('SIP;cause=480'); // RFC 3326 Reason passed on
    const outcome = await proxy.outcomes[0]!;
    expect(outcome.cancelled).toBe(true);
    expect(outcome.response.status).toBe(487);
  });
});

describe('RFC 3261 §16.7 response processing with parallel forking', () => {
  it('§16.7 steps 5–6: 486 from one fork and 200 from the other → the caller gets the 200, the 486 is absorbed', async () => {
    const { proxy, alice, bob, carol } = await setup('udp');
    proxy.route = () => [direct(bob), direct(carol)];
    const busyAtProxy = nextMessage(proxy.node, (m) => !m.isRequest && m.status === 486);
    bob.onInvite = (_r, tx) => void tx.reply(486);
    carol.onInvite = (_r, tx, ua) => {
      void busyAtProxy.then(() => {
        void tx.reply(180);
        void tx.reply(200, { headers: [['Contact', ua.contact('udp')]] });
      });
    };
    const busy = countResponses(alice, 486);
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    const final = await call.tx.final;
    expect(final.status).toBe(200);
    const outcome = await proxy.outcomes[0]!;
    const branches = await outcome.finished;
    expect(branches.map((b) => b.response?.status)).toEqual([486, 200]);
    expect(busy.count).toBe(0);
  });

  it('§16.7 step 5 (RFC 6026): a 2xx from each of two forks is forwarded upstream', async () => {
    const { proxy, alice, bob, carol } = await setup('udp');
    proxy.route = () => [direct(bob), direct(carol)];
    for (const ua of [bob, carol]) {
      ua.onInvite = (_r, tx) => void tx.reply(200, { headers: [['Contact', ua.contact('udp')]] });
    }
    let twoOks: () => void = () => {};
    const both = new Promise<void>((resolve) => {
      twoOks = resolve;
    });
    const oks: SipResponse[] = [];
    alice.node.transport.on('message', (m) => {
      if (!m.isRequest && m.status === 200 && oks.push(m) === 2) twoOks();
    });
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(200);
    await both;
    expect(new Set(oks.map((r) => r.toTag)).size).toBe(2);
    expect(oks.every((r) => r.vias.length === 1)).toBe(true);
  });

  for (const kind of ['udp', 'tcp'] as const) {
    it(`RFC 6026 §7.2, §16.7 step 5: a further 2xx on the same branch (forked downstream) while its client transaction is Accepted goes upstream (caller over ${kind})`, async () => {
      const { proxy, alice, bob } = await setup(kind);
      proxy.route = () => [direct(bob)];
      bob.onInvite = (request, tx) => {
        void tx.reply(200, { toTag: 'fork-1', headers: [['Contact', bob.contact('udp')]] });
        // A second UAS behind a forking proxy at bob's place answers too: the same Via branch, another To tag.
        const second = createResponse(request, 200, 'OK', 'fork-2');
        second.append('Contact', bob.contact('udp'));
        void bob.node.transport.sendResponse(second, tx.source);
      };
      const tags = new Set<string>();
      let bothArrived: () => void = () => {};
      const both = new Promise<void>((resolve) => {
        bothArrived = resolve;
      });
      alice.node.transport.on('message', (m) => {
        if (m.isRequest || m.status !== 200 || m.toTag === undefined) return;
        tags.add(m.toTag);
        if (tags.size === 2) bothArrived();
      });
      const call = alice.call(proxy.target(kind), 'sip:bob@ims.lab');
      expect((await call.tx.final).status).toBe(200);
      await both;
      expect([...tags].sort()).toEqual(['fork-1', 'fork-2']);
    });
  }

  it('§16.7 step 10: the 2xx of one fork CANCELs the ringing fork, whose 487 is absorbed', async () => {
    const { proxy, alice, bob, carol } = await setup('udp');
    proxy.route = () => [direct(bob), direct(carol)];
    const ringingAtProxy = nextMessage(proxy.node, (m) => !m.isRequest && m.status === 180);
    bob.onInvite = (_r, tx) => void tx.reply(180);
    carol.onInvite = (_r, tx, ua) =>
      void ringingAtProxy.then(() => tx.reply(200, { headers: [['Contact', ua.contact('udp')]] }));
    const terminated = countResponses(alice, 487);
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(200);
    const branches = await (await proxy.outcomes[0]!).finished;
    expect(branches.map((b) => [b.response?.status, b.cancelled])).toEqual([
      [487, true],
      [200, false],
    ]);
    expect(bob.cancels[0]?.get('reason')).toContain('cause=200'); // RFC 3326
    expect(terminated.count).toBe(0);
  });

  it('§16.7 step 5: a forked MESSAGE (non-INVITE) gets the one 2xx; the 404 of the other fork is absorbed', async () => {
    const { proxy, alice, bob, carol } = await setup('udp');
    proxy.route = () => [direct(bob), direct(carol)];
    bob.node.layer.onRequest((_r, tx) => void tx.reply(404));
    const request = createRequest({
      method: 'MESSAGE',
      uri: 'sip:bob@ims.lab',
      from: '<sip:alice@ims.lab>;tag=m1',
      to: '<sip:bob@ims.lab>',
      callId: 'message-fork-1',
      cseq: 1,
      body: Buffer.from('hi'),
      contentType: 'text/plain',
    });
    const final = await alice.node.layer.sendRequest(request, proxy.target('udp')).final;
    expect(final.status).toBe(200);
    const branches = await (await proxy.outcomes[0]!).finished;
    expect(branches.map((b) => b.response?.status).sort()).toEqual([200, 404]);
  });

  it('§16.7 steps 6 and 10: 486 and 603 → 603, and the 6xx cancels the ringing branch', async () => {
    const { proxy, alice, bob, carol } = await setup('udp');
    proxy.route = () => [direct(bob), direct(carol)];
    const ringingAtProxy = nextMessage(proxy.node, (m) => !m.isRequest && m.status === 180);
    bob.onInvite = (_r, tx) => void tx.reply(180); // answers 487 when cancelled (autoRespond487)
    carol.onInvite = (_r, tx) => void ringingAtProxy.then(() => tx.reply(603));
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(603);
    expect(bob.cancels).toHaveLength(1);
    expect(bob.cancels[0]?.get('reason')).toContain('cause=603');
    const outcome = await proxy.outcomes[0]!;
    expect(outcome.branches.map((b) => b.response?.status)).toEqual([487, 603]);
  });

  it('§16.7 step 6: 486 and 404 → the lowest 4xx (404) goes upstream', async () => {
    const { proxy, alice, bob, carol } = await setup('udp');
    proxy.route = () => [direct(bob), direct(carol)];
    bob.onInvite = (_r, tx) => void tx.reply(486);
    carol.onInvite = (_r, tx) => void tx.reply(404);
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(404);
  });

  it('§16.7 step 5: stray 2xx retransmissions (no client transaction) are forwarded to the next Via', async () => {
    const { proxy, alice, bob } = await setup('udp');
    const proxyPort = proxy.node.port('udp');
    const response = new SipResponse(200, 'OK');
    response.append('Via', `SIP/2.0/UDP 127.0.0.1:${proxyPort};branch=z9hG4bKstray1;rport`);
    response.append('Via', `SIP/2.0/UDP 127.0.0.1:${alice.node.port('udp')};branch=z9hG4bKcaller1;rport`);
    response.append('From', '<sip:alice@ims.lab>;tag=a1');
    response.append('To', '<sip:bob@ims.lab>;tag=b1');
    response.append('Call-ID', 'stray-1');
    response.append('CSeq', '1 INVITE');
    response.append('Contact', bob.contact('udp'));
    const atAlice = nextMessage(alice.node, (m) => !m.isRequest && m.callId === 'stray-1');
    await bob.node.transport.send(response, proxy.target('udp'));
    const { message } = await atAlice;
    expect(message.vias).toHaveLength(1);
    expect(message.topVia.params.get('branch')).toBe('z9hG4bKcaller1');
  });
});

describe('RFC 3261 §16.7 / §16.8: failed branches count as responses', () => {
  it('§16.8: a branch to a dead UDP port times out (Timer B) and counts as 408', async () => {
    const { proxy, alice } = await setup(undefined);
    const port = await deadPort('udp');
    proxy.route = () => [
      { uri: `sip:bob@127.0.0.1:${port}`, next: { transport: 'udp', address: '127.0.0.1', port } },
    ];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(408);
    const outcome = await proxy.outcomes[0]!;
    expect(outcome.branches[0]).toMatchObject({ failure: 'timeout', state: BranchState.Completed });
  });

  it('§16.7 step 6: a TCP connect failure counts as 503, which goes upstream as 500', async () => {
    const { proxy, alice } = await setup(undefined);
    const port = await deadPort('tcp');
    proxy.route = () => [{ next: { transport: 'tcp', address: '127.0.0.1', port } }];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(500);
    const outcome = await proxy.outcomes[0]!;
    expect(outcome.branches[0]?.failure).toBe('transport-error');
    expect(outcome.branches[0]?.transportError?.code).toBe('connect-failed');
  });

  it('§16.7 step 6: a timed-out branch (408) beats a failed one (503)', async () => {
    const { proxy, alice } = await setup(undefined);
    const udp = await deadPort('udp');
    const tcp = await deadPort('tcp');
    proxy.route = () => [
      { next: { transport: 'udp', address: '127.0.0.1', port: udp } },
      { next: { transport: 'tcp', address: '127.0.0.1', port: tcp } },
    ];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(408);
  });

  it('failureStatus: a closed flow can be mapped to 480 (protocol-notes §3)', async () => {
    const { proxy, alice } = await setup(undefined, {
      failureStatus: (f) => (f.error?.code === 'flow-closed' ? 480 : 503),
    });
    const gone: SendTarget = { transport: 'tcp', address: '127.0.0.1', port: 9, flowId: 'tcp-gone-1' };
    proxy.route = () => [{ next: gone }];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(480);
  });

  it('§16.6 step 11: Timer C after a 180 CANCELs the branch; its 487 goes upstream', async () => {
    const { proxy, alice, bob } = await setup(undefined, { timerC: 5 * T1 });
    proxy.route = () => [direct(bob)];
    bob.onInvite = (_r, tx) => void tx.reply(180);
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(487);
    expect(bob.cancels[0]?.get('reason')).toContain('cause=408');
  });

  it('§16.6 step 11: Timer C without any provisional response counts as 408', async () => {
    const { proxy, alice } = await setup(undefined, { timerC: 5 * T1 });
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => silent.close(() => resolve())) });
    const port = silent.address().port;
    proxy.route = () => [{ next: { transport: 'udp', address: '127.0.0.1', port } }];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(408);
    expect((await proxy.outcomes[0]!).branches[0]?.failure).toBe('timer-c');
  });
});

describe('RFC 3261 §16.3 request validation and loops', () => {
  it('§16.3 step 3: Max-Forwards 0 → 483 Too Many Hops', async () => {
    const { proxy, alice, bob } = await setup('udp');
    proxy.route = () => [direct(bob)];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab', { maxForwards: 0 });
    expect((await call.tx.final).status).toBe(483);
    expect(bob.requests).toHaveLength(0);
  });

  it('§16.3 step 4: a request that comes back unchanged is a loop → 482', async () => {
    const { proxy, alice } = await setup(undefined);
    proxy.route = () => [{ next: proxy.target('udp') }]; // misconfigured: to ourselves, same Request-URI
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(482);
  });

  it('§16.3 step 4: a request that comes back retargeted is a spiral and goes on', async () => {
    const { proxy, alice, bob } = await setup(undefined);
    proxy.route = (request) =>
      request.uri === 'sip:bob@ims.lab'
        ? [{ uri: 'sip:bob@home.ims.lab', next: proxy.target('udp') }]
        : [direct(bob)];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(200);
    const invite = bob.requests.find((r) => r.request.method === 'INVITE');
    expect(invite?.request.vias).toHaveLength(3);
    expect(invite?.request.get('max-forwards')).toBe('68');
  });

  it('no target at all → 480', async () => {
    const { proxy, alice } = await setup(undefined);
    proxy.route = () => [];
    const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
    expect((await call.tx.final).status).toBe(480);
  });
});
