// Restart keeps data (hardening): stopping and starting the lab on the same data directory keeps the PF's
// backlog, and it is delivered when the user comes back; `fresh` starts from nothing.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientStore } from '../../client/index.js';
import { EmbeddedLab } from '../../lab/embedded/index.js';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import { Steps } from '../../lab/scenarios/steps.js';
import { loadTopology } from '../../lab/topology/index.js';
import { createLogger } from '../../runtime/index.js';

const quiet = (node: string) => createLogger(node, { level: 'error', env: {}, write: () => {} });
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string, fresh = false): Promise<EmbeddedLab> {
  return EmbeddedLab.start({
    topology: await loadTopology(),
    ephemeral: true,
    dataDir,
    fresh,
    t1: 50,
    logger: quiet('lab'),
    loggerFor: quiet,
  });
}

describe('a lab restart keeps its data (hardening)', () => {
  it('PF: a backlog stored before the lab stops is still there after a restart without flags, and is delivered; --fresh wipes it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cpm-lab-restart-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    let group: Awaited<ReturnType<Steps['newGroup']>>;
    try {
      const steps = new Steps(new LabClient(first.url), () => {});
      await steps.baseline(['alice', 'bob', 'carol']);
      group = await steps.newGroup('restart', ['alice', 'bob', 'carol']);
      await steps.offline('alice', 'deregister');
      await steps.send('bob', group, 'kept across the restart');
      await steps.waitStored('alice', group, 1);
    } finally {
      await first.close();
    }

    const second = await start(dataDir);
    try {
      const steps = new Steps(new LabClient(second.url), () => {});
      // Every client registers as the lab starts: alice's return triggers the delivery.
      await steps.waitReceived('alice', group, ['kept across the restart']);
      await steps.waitDelivered('alice', group);
    } finally {
      await second.close();
    }

    const third = await start(dataDir, true);
    try {
      const lab = new LabClient(third.url);
      const pf = await lab.node('pf').get<{ groups: Array<{ id: string }> }>('/state');
      expect(pf.groups.map((g) => g.id)).not.toContain(group.name);
    } finally {
      await third.close();
    }
  }, 60_000);

  it("clients: their stores (one database for the lab's clients) survive a restart; a per-client store file of an earlier version is taken in once", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cpm-lab-restart-'));
    dirs.push(dataDir);
    // carol's store as an earlier version of the lab kept it: a file of her own.
    const old = await ClientStore.open({ path: join(dataDir, 'clients', 'carol.db') });
    old.setPolicy({ default: 'later' });
    old.messages.recordReceived({
      groupKey: 'before-the-upgrade',
      messageId: 'm-old',
      from: 'sip:bob@ims.lab',
      contentType: 'text/plain',
      text: 'from an earlier version',
      requested: [],
      arrivedOn: 'deferred',
      receivedAt: '2026-11-24T10:15:00.000Z',
      notified: {},
    });
    await old.close();

    const first = await start(dataDir);
    try {
      const carol = first.clients.get('carol')!.client;
      expect(carol.messages().map((m) => m.text)).toEqual(['from an earlier version']);
      expect(carol.store.policy).toEqual({ default: 'later' });
      expect(await readdir(join(dataDir, 'clients'))).toContain('carol.db.imported');
      first.clients.get('alice')!.client.setPolicy('decline');
      await first.clients.get('alice')!.client.store.committed();
    } finally {
      await first.close();
    }

    const second = await start(dataDir);
    try {
      expect(second.clients.get('alice')!.client.store.policy).toMatchObject({ default: 'decline' });
      expect(
        second.clients
          .get('carol')!
          .client.messages()
          .map((m) => m.text),
      ).toEqual(['from an earlier version']);
      expect(second.clients.get('bob')!.client.messages()).toEqual([]);
    } finally {
      await second.close();
    }
  }, 60_000);
});
