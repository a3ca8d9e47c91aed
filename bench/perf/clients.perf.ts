// Issue 20, row 6: one embedded lab with N clients in N/10 groups of 10 (every node in this process): the time
// until it is ready (every client registered, every group provisioned), its memory and file descriptors, and
// a deferred delivery through it afterwards. CPM_LAB_BENCH_CLIENTS sets N (the goal is stated for 10,000).
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { EmbeddedLab, embeddedClientsThatFit } from '../../lab/embedded/index.js';
import { waitUntil } from '../../lab/scenarios/lab-client.js';
import { parseTopology, provisionedGroupIds, withEphemeralPorts } from '../../lab/topology/index.js';
import { createLogger, fdBudget } from '../../runtime/index.js';
import { recordRow, SHORT } from './table.js';

const N = Number(process.env['CPM_LAB_BENCH_CLIENTS'] ?? (SHORT ? 200 : 1000));

describe('row 6: one embedded lab with N clients', () => {
  it(`${N} clients, ${N / 10} groups of 10`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cpm-lab-bench-clients-'));
    const users = Array.from({ length: N }, (_, i) => `u${i}`);
    const topology = withEphemeralPorts(
      parseTopology({
        clients: users.map((user) => ({ user })),
        groups: Array.from({ length: N / 10 }, (_, g) => ({
          name: `g${g}`,
          participants: users.slice(g * 10, g * 10 + 10),
        })),
      }),
    );
    const budget = fdBudget();
    const room = embeddedClientsThatFit(budget);
    const limitNote =
      room === undefined
        ? ''
        : `; this process may open ${budget.limit} file descriptors (ulimit -n), room for about ${room} clients`;
    const fds0 = readdirSync('/proc/self/fd').length;
    const rss0 = process.memoryUsage().rss;
    const started = performance.now();
    const quiet = createLogger('lab', { level: 'error' });
    let lab: EmbeddedLab;
    try {
      lab = await EmbeddedLab.start({
        topology,
        dataDir: dir,
        logger: quiet,
        loggerFor: (n) => createLogger(n, { level: 'error' }),
      });
    } catch (err) {
      // Reported as a row, not hidden: e.g. more clients than this machine's descriptor limit allows.
      recordRow({
        measure: `One embedded lab with ${N} clients, ${N / 10} groups of 10`,
        ours: `did not start: ${(err as Error).message}`,
        goal: '10,000 clients: ready < 10 s, < 1.5 GiB, a deferred flow works',
        met: false,
        how: `EmbeddedLab.start on ephemeral ports (CPM_LAB_BENCH_CLIENTS=${N})${limitNote}`,
      });
      await rm(dir, { recursive: true, force: true });
      return;
    }
    const readyMs = performance.now() - started;
    try {
      const rssMb = (process.memoryUsage().rss - rss0) / 1e6;
      const fdsPerClient = (readdirSync('/proc/self/fd').length - fds0) / N;
      // A deferred delivery still works: u0 offline, u1 writes in g0, u0 back.
      const u0 = lab.clients.get('u0')!.client;
      const u1 = lab.clients.get('u1')!.client;
      await u0.offline('deregister');
      const g0 = provisionedGroupIds(topology.domain, 'g0').conferenceUri;
      const got = new Promise<void>((resolve) =>
        u0.on('message', (m) => m.text === 'still there?' && resolve()),
      );
      let acked = false;
      u1.on('sent', () => {
        acked = true;
      });
      u1.send(g0, 'still there?');
      await waitUntil('u1 to have its message acknowledged', async () => acked, { timeoutMs: 60_000 });
      const flowStarted = performance.now();
      await u0.online();
      await got;
      const flowMs = performance.now() - flowStarted;
      recordRow({
        measure: `One embedded lab with ${N} clients, ${N / 10} groups of 10`,
        ours: `ready in ${(readyMs / 1000).toFixed(1)} s, ${Math.round(rssMb)} MB, ${fdsPerClient.toFixed(1)} fds per client; a deferred delivery then takes ${Math.round(flowMs)} ms`,
        goal: '10,000 clients: ready < 10 s, < 1.5 GiB, a deferred flow works',
        met: N >= 10_000 && readyMs < 10_000 && rssMb < 1536,
        how: `EmbeddedLab.start on ephemeral ports (CSCF, PF, ${N} clients with their stores) until every client is registered; RSS growth of the process; then u0 offline, u1 writes in g0, u0 back (CPM_LAB_BENCH_CLIENTS=${N})${limitNote}`,
      });
    } finally {
      await lab.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
