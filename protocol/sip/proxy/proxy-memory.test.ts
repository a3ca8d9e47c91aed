// What a finished call leaves in a stateful proxy: RFC 3261 / RFC 6026 keep its transactions 64*T1 after the
// end (Timers J, L, M), but as the transaction layer's wait records only (wait-state.ts): the proxy must not
// keep the call's server transaction, its response context or its branches alive through a listener.
import { afterEach, expect, it } from 'vitest';
import { collected } from '../../../test-support/gc.js';
import { MiniUa, type Node, startNode, TestProxy } from './test-support/harness.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

async function node(): Promise<Node> {
  const n = await startNode();
  open.push(n);
  return n;
}

it('§16.7, RFC 6026 §7.1/§7.2: after INVITE/200/ACK/BYE, the waiting transactions do not keep the call’s server transactions (nor their contexts)', async () => {
  // T1 = 500 ms on the proxy: its wait states (64*T1 = 32 s) outlast the test.
  const proxyNode = await startNode(false, 500);
  const proxy = new TestProxy(proxyNode, 'udp');
  open.push(proxy);
  const alice = new MiniUa(await node(), 'alice');
  const bob = new MiniUa(await node(), 'bob');
  const servers: Array<WeakRef<object>> = [];
  proxy.route = (_request, tx) => {
    servers.push(new WeakRef(tx));
    return [
      {
        uri: `sip:bob@127.0.0.1:${bob.node.port('udp')}`,
        next: { transport: 'udp', address: '127.0.0.1', port: bob.node.port('udp') },
      },
    ];
  };

  const call = alice.call(proxy.target('udp'), 'sip:bob@ims.lab');
  const ok = await call.tx.final;
  expect(ok.status).toBe(200);
  await alice.ack(call, ok);
  await bob.acked();
  expect((await alice.bye(call, ok)).status).toBe(200);
  await Promise.all(proxy.outcomes.map((o) => o.then((outcome) => outcome.finished)));
  expect(proxy.proxy.activeContexts).toBe(0);

  // The INVITE's server transaction (Accepted, Timer L) and the BYE's (Completed, Timer J) still wait...
  expect(proxyNode.layer.size.server).toBe(2);
  // ...and nothing holds them: the INVITE's route callback saw one, the BYE went by Route (no callback).
  expect(servers).toHaveLength(1);
  expect(await collected(...servers)).toEqual([true]);
  expect(proxyNode.layer.size.server).toBe(2);
});
