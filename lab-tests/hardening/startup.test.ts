// A lab that cannot start says why and stops (no hang, nothing left running): here the CSCF refuses the
// connections past its cap of 16 (clients register several at once, so which one is refused varies; the
// error names it), the way a 1,025-client topology once hung on the
// default cap of 1,024. The embedded lab's own CSCF scales its cap with the topology; an external one may not.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../../test-support/cli-process.js';
import { cscfConfig } from '../../services/cscf/index.js';
import { silentLogger, startTestCscf } from '../../test-support/cscf.js';
import { EmbeddedLab } from '../../lab/embedded/index.js';
import { waitUntil } from '../../lab/scenarios/lab-client.js';
import { parseTopology, withEphemeralPorts } from '../../lab/topology/index.js';
import { startEmbeddedTestLab } from '../../test-support/embedded-lab.js';

describe('lab start-up failures', () => {
  it('a client the CSCF refuses (connection cap) stops the start with the user and the reason', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
    const cscf = await startTestCscf({ maxConnections: 16, users: users.map((u) => `sip:${u}@ims.lab`) });
    try {
      const tcp = cscf.sipAddresses.tcp!;
      await expect(
        startEmbeddedTestLab({
          cscf: { engine: 'external', address: `${tcp.address}:${tcp.port}` },
          pf: { sipPort: 0 },
          clients: users.map((user) => ({ user })),
          groups: [],
        }),
      ).rejects.toThrowError(
        new RegExp(`^u\\d+ could not register with the CSCF at ${tcp.address}:${tcp.port}: .*503`),
      );
    } finally {
      await cscf.close();
    }
  }, 30_000);
});

describe('lab start-up failures: a client that cannot start', () => {
  it('its port taken: the start stops naming the user and the reason, and every node started is closed', async () => {
    // A loopback address of its own (Linux routes all of 127/8 to lo): what is still open on it is this lab's.
    const host = `127.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, host, resolve));
    const taken = (blocker.address() as AddressInfo).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'cpm-lab-taken-'));
    try {
      const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
      const topology = withEphemeralPorts(
        parseTopology({ host, clients: users.map((user) => ({ user })), groups: [] }),
      );
      // Clients start several at once: one in the middle of the list fails while others are starting.
      const clients = topology.clients.map((c) => (c.user === 'u21' ? { ...c, sipPort: taken } : c));
      await expect(
        EmbeddedLab.start({
          topology: { ...topology, clients },
          dataDir,
          t1: 50,
          logger: silentLogger('lab'),
          loggerFor: (node) => silentLogger(node),
        }),
      ).rejects.toThrowError(/^u21 could not start: .*EADDRINUSE/);
      // Nothing of the lab is left listening or connected on its address (closes complete asynchronously).
      // Not its database files: libsql 0.5 releases a closed connection only when the garbage collector takes
      // the statements prepared on it (runtime/sqlite.ts, driver notes).
      await waitUntil(
        'the lab to have closed what it started',
        async () => openTcpSockets(host).every((s) => s.port === taken && s.state === 'LISTEN'),
        { timeoutMs: 10_000 },
      );
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});

/**
 * TCP sockets bound to `host` (IPv4) that someone still holds: listening, or a connection not yet closed by
 * its holder (/proc/net/tcp; TIME_WAIT and the closing states hold no descriptor).
 */
function openTcpSockets(host: string): { port: number; state: string }[] {
  const held: Record<string, string> = {
    '01': 'ESTABLISHED',
    '02': 'SYN_SENT',
    '08': 'CLOSE_WAIT',
    '0A': 'LISTEN',
  };
  const hex = host
    .split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 3 && f[1]!.startsWith(`${hex}:`) && held[f[3]!] !== undefined)
    .map((f) => ({ port: Number.parseInt(f[1]!.split(':')[1]!, 16), state: held[f[3]!]! }));
}

describe('lab start-up failures: file descriptors', () => {
  it('a topology that cannot fit under `ulimit -n` stops at once: exit non-zero, the count needed and how to raise it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cpm-lab-fds-'));
    try {
      const users = Array.from({ length: 200 }, (_, i) => `u${i}`);
      const topology = join(dir, 'topology.json');
      await writeFile(topology, JSON.stringify({ clients: users.map((user) => ({ user })), groups: [] }));
      // A shell lowers the limit for the child only, soft and hard (Node raises its soft limit to the hard one).
      const run = spawnSync(
        'bash',
        [
          '-c',
          'ulimit -n 512 && exec "$0" "$@"',
          process.execPath,
          CLI,
          'lab',
          '--ephemeral',
          '--topology',
          topology,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.status, run.stderr).not.toBe(0);
      expect(run.status, run.stderr).not.toBeNull(); // it exited by itself, it was not killed by the timeout
      expect(run.stdout + run.stderr).toMatch(
        /an embedded lab with 200 clients \(about 4 each\) needs about 864 file descriptors; .* may open 512 \(ulimit -n\)\. Raise the limit/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

describe('per-node limits scale with the topology', () => {
  it('the CSCF flag and variable set its connection cap (1024 by default)', () => {
    expect(cscfConfig({}, {}).maxConnections).toBe(1024);
    expect(cscfConfig({ maxConnections: '5000' }, {}).maxConnections).toBe(5000);
    expect(cscfConfig({}, { CPM_LAB_CSCF_MAX_CONNECTIONS: '4096' }).maxConnections).toBe(4096);
  });
});
