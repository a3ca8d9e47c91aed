import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../protocol/sip/test-support/sipp.js';
import { createLogger, startControlServer } from '../../runtime/index.js';
import { Cscf, cscfConfig } from '../../services/cscf/index.js';
import { createLabApi } from './lab-api.js';
import { parseNodeList } from './node-directory.js';

const quiet = createLogger('lab', { level: 'error', write: () => {} });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const cscf = await Cscf.start(
    { ...cscfConfig({}, {}), udpPort: 0, tcpPort: 0, controlPort: 0 },
    { logger: quiet },
  );
  cleanups.push(() => cscf.close());
  // A node whose control API is not running: a port that was free a moment ago refuses connections.
  const down = await freePort();
  const nodes = parseNodeList([`cscf=${cscf.controlUrl}`, `alice=http://127.0.0.1:${down}`]);
  const server = await startControlServer(createLabApi({ nodes, logger: quiet }), { port: 0 });
  cleanups.push(() => server.close());
  return { cscf, url: server.url, down };
}

describe('lab API', () => {
  it('lists the nodes and aggregates their state', async () => {
    const { url, down } = await setup();
    const topology = (await (await fetch(`${url}/topology`)).json()) as {
      nodes: Array<{ name: string; role: string }>;
    };
    expect(topology.nodes.map((n) => [n.name, n.role])).toEqual([
      ['cscf', 'cscf'],
      ['alice', 'client'],
    ]);
    const state = (await (await fetch(`${url}/state`)).json()) as {
      nodes: Record<string, { node?: string; error?: string }>;
    };
    expect(state.nodes.cscf!.node).toBe('cscf');
    expect(state.nodes.alice!.error).toContain(
      `cannot reach alice's control API at http://127.0.0.1:${down}`,
    );
  });

  it('passes actions through to a node, keeping method, body and status', async () => {
    const { cscf, url } = await setup();
    const r = await fetch(`${url}/nodes/cscf/users/bob/unreachable`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(cscf.state().unreachable).toEqual(['sip:bob@ims.lab']);
    const bad = await fetch(`${url}/nodes/cscf/users/bob/bindings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contact: 42 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/contact/);
  });

  it('the pass-through takes a percent-encoded node name; /traces?since= must be a record id (400)', async () => {
    const { url } = await setup();
    const encoded = await fetch(`${url}/nodes/%63scf/state`); // %63 = "c"
    expect(encoded.status).toBe(200);
    expect(((await encoded.json()) as { node: string }).node).toBe('cscf');
    expect((await fetch(`${url}/traces?since=abc`)).status).toBe(400);
    expect((await fetch(`${url}/traces?since=-1`)).status).toBe(400);
  });

  it('an unknown node is a 404, an unreachable one a 502 naming it', async () => {
    const { url } = await setup();
    const unknown = await fetch(`${url}/nodes/dave/state`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no node named "dave"/);
    const down = await fetch(`${url}/nodes/alice/state`);
    expect(down.status).toBe(502);
    expect(((await down.json()) as { error: string }).error).toMatch(/ECONNREFUSED/);
  });

  it('rejects a malformed node list', () => {
    expect(() => parseNodeList(['cscf'])).toThrowError(/expected name=url/);
    expect(() => parseNodeList(['cscf=not a url'])).toThrowError(/not a URL/);
  });
});
