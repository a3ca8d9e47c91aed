// One listener for many nodes' control APIs (an embedded lab's clients), each at /clients/<name>.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WireTrace } from '../protocol/trace/index.js';
import { createControlApi } from './control-api.js';
import { type ControlHost, startControlHost } from './control-host.js';
import { createLogger } from './logger.js';
import { NodeEvents } from './node-events.js';
import { readSse } from './sse-parser.js';
import { sseHubOf } from './sse.js';
import { TraceRecorder } from './trace-recorder.js';

const quiet = createLogger('host', { level: 'error', env: {}, write: () => {} });

function nodeApp(node: string) {
  const trace = new TraceRecorder({ node });
  trace.attach(new WireTrace());
  return createControlApi({
    node,
    logger: quiet,
    trace,
    events: new NodeEvents(node),
    state: async () => ({ node }),
    routes: (r) => {
      r.get('/echo', (req, res) => {
        res.json({ node, url: req.url, q: req.query['q'] ?? null });
      });
    },
  });
}

const hosts: ControlHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

describe('control host', () => {
  it('architecture.md control plane: each mounted app answers at /clients/<name> and sees its own paths; unknown names and paths get a JSON 404', async () => {
    const host = await startControlHost({ logger: quiet });
    hosts.push(host);
    let built = 0;
    const alice = host.mount('alice', () => {
      built++;
      return nodeApp('alice');
    });
    const bob = host.mount('bob.smith', () => nodeApp('bob.smith'));
    expect(built).toBe(0); // built on the first request
    expect(alice).toBe(`${host.url}/clients/alice`);
    expect(await (await fetch(`${alice}/state`)).json()).toEqual({ node: 'alice' });
    expect(await (await fetch(`${bob}/echo?q=1`)).json()).toEqual({
      node: 'bob.smith',
      url: '/echo?q=1',
      q: '1',
    });
    expect(((await (await fetch(`${alice}/health`)).json()) as { node: string }).node).toBe('alice');
    expect(built).toBe(1);
    expect(() => host.mount('alice', () => nodeApp('alice'))).toThrow(/already mounted/);

    const unknown = await fetch(`${host.url}/clients/carol/state`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'no node "carol" here' });
    const outside = await fetch(`${host.url}/state`);
    expect(outside.status).toBe(404);
    expect(((await outside.json()) as { error: string }).error).toMatch(/\/clients\/<name>/);
    expect((await fetch(`${host.url}/clients/%E0%A4%A/state`)).status).toBe(400);
    // An app that cannot be built answers 500; the listener goes on serving the others.
    host.mount('broken', () => {
      throw new Error('no routes');
    });
    expect((await fetch(`${host.url}/clients/broken/state`)).status).toBe(500);
    expect((await fetch(`${bob}/state`)).status).toBe(200);
    // The node's own guards still apply behind the prefix (CR/LF in the URL).
    expect((await fetch(`${alice}/echo?q=a%0d%0ab`)).status).toBe(400);
  });

  it("unmount ends that node's event streams and later requests get 404; the other nodes go on; close ends them all", async () => {
    const host = await startControlHost({ logger: quiet });
    hosts.push(host);
    const appA = nodeApp('alice');
    const appB = nodeApp('bob');
    const alice = host.mount('alice', () => appA);
    const bob = host.mount('bob', () => appB);
    const openedA = once(sseHubOf(appA), 'open');
    const streamA = readSse((await fetch(`${alice}/events`)).body!)[Symbol.asyncIterator]();
    await openedA;
    const openedB = once(sseHubOf(appB), 'open');
    const streamB = readSse((await fetch(`${bob}/events`)).body!)[Symbol.asyncIterator]();
    await openedB;

    host.unmount('alice');
    for (;;) if ((await streamA.next()).done) break;
    expect((await fetch(`${alice}/state`)).status).toBe(404);
    expect(await (await fetch(`${bob}/state`)).json()).toEqual({ node: 'bob' });

    await host.close();
    for (;;) if ((await streamB.next()).done) break;
    hosts.splice(0);
  });
});
