import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../runtime/index.js';
import { createLogger, readSse, startControlServer } from '../../runtime/index.js';
import { Cscf, cscfConfig } from '../../services/cscf/index.js';
import { createLabApi } from './lab-api.js';
import { parseNodeList, parsePeerList, peerNames } from './node-directory.js';

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
    expect((await fetch(`${url}/traces?limit=0`)).status).toBe(400);
  });

  it('POST /clients: a lab that cannot create clients (its nodes are separate processes) answers 501 and says what to do', async () => {
    const { url } = await setup();
    const r = await fetch(`${url}/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'dave' }),
    });
    expect(r.status).toBe(501);
    expect(JSON.stringify(await r.json())).toMatch(/cannot create clients.*topology/);
  });

  it('GET /traces?limit= is passed on to every node: each returns at most that many records', async () => {
    const { cscf } = await setup();
    const only = parseNodeList([`cscf=${cscf.controlUrl}`]);
    const server = await startControlServer(createLabApi({ nodes: only, logger: quiet }), { port: 0 });
    cleanups.push(() => server.close());
    // Some SIP traffic at the CSCF: three OPTIONS to its own address, each answered.
    const { UserAgent } = await import('../../protocol/sip/index.js');
    const ua = await UserAgent.listen({ transport: { tcp: { port: 0 }, idleTimeoutMs: 0 } });
    cleanups.push(() => ua.close());
    const tcp = cscf.sipAddresses.tcp!;
    for (let i = 0; i < 3; i++) {
      await ua.request('OPTIONS', `sip:${tcp.address}:${tcp.port};transport=tcp`).catch(() => undefined);
    }
    const all = (await (await fetch(`${server.url}/traces`)).json()) as {
      traces: Array<{ records: unknown[] }>;
    };
    expect(all.traces[0]!.records.length).toBeGreaterThanOrEqual(6);
    const limited = (await (await fetch(`${server.url}/traces?limit=2`)).json()) as {
      traces: Array<{ records: unknown[] }>;
    };
    expect(limited.traces[0]!.records).toHaveLength(2);
    expect((await fetch(`${server.url}/traces?since=-1`)).status).toBe(400);
  });

  it("GET /nodes/<name>/events streams the node's server-sent events through (not buffered, no timeout)", async () => {
    const { cscf, url } = await setup();
    const abort = new AbortController();
    cleanups.push(async () => abort.abort());
    const response = await fetch(`${url}/nodes/cscf/events`, {
      headers: { accept: 'text/event-stream' },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    // A node event happens after the stream is open; it arrives through the lab API.
    await fetch(`${url}/nodes/cscf/users/bob/unreachable`, { method: 'POST' });
    let seen = false;
    for await (const item of readSse(response.body!)) {
      if (item.kind === 'event' && item.event === 'node' && item.data.includes('bob')) {
        seen = true;
        break;
      }
    }
    expect(seen).toBe(true);
    expect(cscf.state().unreachable).toEqual(['sip:bob@ims.lab']);
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

describe('external peers (lab-api --peer)', () => {
  it('name=host:port[,product]: the host resolved (traces carry addresses), the role from the name', async () => {
    expect(await parsePeerList(['cscf=127.0.0.1:5060,Kamailio (Debian package)'])).toEqual([
      {
        name: 'cscf',
        role: 'cscf',
        sip: '127.0.0.1:5060',
        product: 'Kamailio (Debian package)',
        note: '127.0.0.1:5060, no control API',
      },
    ]);
    const [local] = await parsePeerList(['cscf=localhost:5070']);
    expect(local!.sip).toMatch(/^(127\.0\.0\.1|\[::1\]):5070$/);
    expect(local!.product).toBe('external SIP server');
    expect(peerNames([local!])).toEqual({ [local!.sip]: 'cscf' });
    await expect(parsePeerList(['no-equals-sign'])).rejects.toThrow('expected name=host:port[,product]');
    await expect(parsePeerList(['cscf=no-such-host.invalid:5060'])).rejects.toThrow(
      'peer cscf: cannot resolve no-such-host.invalid',
    );
  });
});
