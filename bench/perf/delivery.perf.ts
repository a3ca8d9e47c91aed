// Issue 20, rows 1 and 2, on an embedded lab (every node in this process, real sockets): a sender writes N
// messages into the PF's store (bob's session, MSRP straight to the PF, each acknowledged after the PF stored
// it), then the group session ends and alice, offline all along, comes back: the time from her REGISTER to the
// last of them in her inbox (her client's `message` events, no polling). The floor: libsql inserting and
// draining the same number of rows, in the same run. Trace, IMDNs and the stores' durability stay on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { describe, it } from 'vitest';
import { startPrivateLab } from '../../lab/embedded/index.js';
import { LabClient, waitUntil } from '../../lab/scenarios/lab-client.js';
import { provisionedGroupIds } from '../../lab/topology/index.js';
import { medianBy, REPEAT, recordRow, roundsNote, SHORT } from './table.js';

const SIZES = SHORT ? [500, 2000] : [1000, 10000];
/** Messages in flight at once from the sender (acknowledged ones make room): a fast client, not a flood. */
const WINDOW = 256;

/** libsql: N rows of a stored message's size inserted in one transaction, then read and deleted. */
function floorMs(n: number, dir: string): number {
  const db = new Database(join(dir, `floor-${n}.db`));
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  db.exec('CREATE TABLE m (id INTEGER PRIMARY KEY, recipient TEXT, grp TEXT, body BLOB)');
  const body = Buffer.alloc(420, 0x61);
  const started = performance.now();
  const insert = db.prepare('INSERT INTO m (recipient, grp, body) VALUES (?, ?, ?)');
  db.exec('BEGIN');
  for (let i = 0; i < n; i++) insert.run('sip:alice@ims.lab', 'team', body);
  db.exec('COMMIT');
  let read = 0;
  for (const _row of db.prepare('SELECT id, body FROM m ORDER BY id').iterate()) read++;
  db.exec('DELETE FROM m');
  const ms = performance.now() - started;
  db.close();
  if (read !== n) throw new Error(`floor read ${read} of ${n}`);
  return ms;
}

interface Run {
  n: number;
  storeMs: number;
  storeCpuMs: number;
  deliverMs: number;
  deliverCpuMs: number;
}

async function run(n: number): Promise<Run> {
  const lab = await startPrivateLab({ label: 'bench' });
  try {
    const api = new LabClient(lab.url);
    const team = provisionedGroupIds('ims.lab', 'team').conferenceUri;
    const alice = lab.lab.clients.get('alice')!.client;
    const bob = lab.lab.clients.get('bob')!.client;
    // Every other member offline: each message is stored (for alice and carol), none relayed live. With carol
    // online the figure depended on whether she had joined bob's session before the burst.
    await alice.offline('deregister');
    await lab.lab.clients.get('carol')!.client.offline('deregister');
    // bob joins the group session with a first message (not counted).
    let sent = 0;
    bob.on('sent', () => sent++);
    bob.send(team, 'warm-up');
    await waitUntil('the warm-up message to be acknowledged', async () => sent === 1, { intervalMs: 5 });

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    await new Promise<void>((resolve, reject) => {
      const pump = () => {
        while (next < n && next - (sent - 1) < WINDOW) bob.send(team, `message ${next++}`);
        if (sent - 1 === n) resolve();
      };
      bob.on('sent', pump);
      bob.on('send-failed', (info) => reject(new Error(`a message was not sent: ${info.error}`)));
      pump();
    });
    const storeMs = performance.now() - t0;
    const cpu1 = process.cpuUsage(cpu0);
    const pending = await api
      .node('pf')
      .get<{ backlog: Array<{ recipient: string; pending: number }> }>('/state');
    const stored = pending.backlog.find((b) => b.recipient === 'sip:alice@ims.lab')?.pending ?? 0;
    if (stored !== n + 1) throw new Error(`the PF holds ${stored} messages for alice, expected ${n + 1}`);

    await api.node('pf').post('/groups/team/end');
    await waitUntil('the team session to end', async () => {
      const s = await api.node('pf').get<{ groups: Array<{ id: string; session: string }> }>('/state');
      return s.groups.find((g) => g.id === 'team')?.session === 'inactive';
    });
    let received = 0;
    const all = new Promise<void>((resolve) => {
      alice.on('message', () => {
        if (++received === n + 1) resolve();
      });
    });
    const cpu2 = process.cpuUsage();
    const t1 = performance.now();
    await alice.online();
    await all;
    const deliverMs = performance.now() - t1;
    const cpu3 = process.cpuUsage(cpu2);
    return {
      n,
      storeMs,
      storeCpuMs: (cpu1.user + cpu1.system) / 1000,
      deliverMs,
      deliverCpuMs: (cpu3.user + cpu3.system) / 1000,
    };
  } finally {
    await lab.close();
  }
}

describe('rows 1 and 2: deferred delivery and the sender into the PF store', () => {
  it(`${SIZES.join(' and ')} messages`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cpm-lab-bench-floor-'));
    try {
      const small = await run(SIZES[0]!);
      // The big size REPEAT times, each on a fresh lab: one run varies by about ±10% on the 2-core machine.
      const rounds: Run[] = [];
      for (let r = 0; r < REPEAT; r++) rounds.push(await run(SIZES[1]!));
      const big = medianBy(rounds, (r) => r.deliverMs);
      const store = medianBy(rounds, (r) => r.storeMs);
      const floor = floorMs(big.n, dir);
      const perMsg = (r: Run) => r.deliverMs / r.n;
      const growth = perMsg(big) / perMsg(small);
      const rate = (r: Run) => Math.round(r.n / (r.storeMs / 1000));
      recordRow({
        measure: `${big.n} stored messages to a returning client, REGISTER → last in the inbox`,
        ours: `${(big.deliverMs / 1000).toFixed(2)} s${roundsNote(
          rounds.map((r) => Number((r.deliverMs / 1000).toFixed(2))),
          ' s',
        )} (${Math.round(big.n / (big.deliverMs / 1000))} msg/s, ${(big.deliverCpuMs / big.n).toFixed(2)} ms CPU each); ${small.n}: ${(small.deliverMs / 1000).toFixed(2)} s`,
        anchor: `libsql insert + drain of ${big.n} rows: ${(floor / 1000).toFixed(2)} s`,
        goal: '< 2 s; cost per message flat',
        // The goal is stated for 10,000 messages: the short form (2,000) cannot meet it.
        met: big.n >= 10_000 && big.deliverMs < 2000 && growth <= 1.5,
        how: `embedded lab, team group, alice and carol offline while bob writes; the session ends; alice's client events count the arrivals; cost per message ${small.n}→${big.n}: ×${growth.toFixed(2)}; ${big.n} messages: median of ${REPEAT} run(s), each on a fresh lab`,
      });
      recordRow({
        measure: `A sender writing ${store.n} messages into the PF's store`,
        ours: `${(store.storeMs / 1000).toFixed(2)} s, ${rate(store)} msg/s${roundsNote(rounds.map(rate), ' msg/s')}, ${(store.storeCpuMs / store.n).toFixed(2)} ms CPU each (whole lab)`,
        anchor: `libsql insert + drain of ${store.n} rows: ${(floor / 1000).toFixed(2)} s`,
        goal: '≥ 10,000 msg/s',
        met: store.n >= 10_000 && rate(store) >= 10_000,
        how: `bob's client sends on its group session (MSRP to the PF, no CSCF; alice and carol offline, so every message is stored twice), ${WINDOW} unacknowledged at most; done when the PF has acknowledged every one (it stores before it answers); CPU of the whole in-process lab; median of ${REPEAT} run(s), each on a fresh lab`,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
