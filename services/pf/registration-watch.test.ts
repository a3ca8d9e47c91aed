// The PF's view of who is online (protocol profile §3) and its table for a restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistrationWatch } from './registration-watch.js';
import { openStores, WriteBatcher } from './store/index.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function storePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cpm-pf-registrations-'));
  dirs.push(dir);
  return join(dir, 'pf.db');
}

describe('registration watch', () => {
  it('protocol profile §3: Expires > 0 is online until it lapses, Expires 0 offline; the answer comes from memory, the table write goes to `persist`', async () => {
    let now = 1_000_000;
    const stores = openStores({ path: await storePath() });
    const writes: Array<() => void> = [];
    const watch = new RegistrationWatch(
      () => now,
      stores.db,
      (write) => writes.push(write),
    );
    expect(watch.update('sip:alice@ims.lab', 600)).toEqual({
      user: 'sip:alice@ims.lab',
      state: 'online',
      returning: true,
    });
    expect(watch.update('sip:alice@ims.lab', 600).returning).toBe(false); // a refresh
    expect(watch.update('sip:bob@ims.lab', 0).state).toBe('offline');
    expect(watch.isRegistered('sip:alice@ims.lab')).toBe(true);
    expect(writes).toHaveLength(3);
    expect(new RegistrationWatch(() => now, stores.db).isRegistered('sip:alice@ims.lab')).toBe(false);
    for (const write of writes) write();
    expect(new RegistrationWatch(() => now, stores.db).isRegistered('sip:alice@ims.lab')).toBe(true);
    now += 601_000;
    expect(watch.isRegistered('sip:alice@ims.lab')).toBe(false);
    stores.db.close();
  });

  it('issue 20: through the PF write batcher a burst of REGISTERs is one commit, and a restarted view knows them', async () => {
    const path = await storePath();
    const stores = openStores({ path });
    const batcher = new WriteBatcher(stores.db);
    const watch = new RegistrationWatch(Date.now, stores.db, (write) => void batcher.run(write));
    for (let i = 0; i < 100; i++) watch.update(`sip:u${i}@ims.lab`, 600);
    await batcher.flush();
    expect(batcher.stats).toEqual({ batches: 1, ops: 100 });
    stores.db.close();
    const reopened = openStores({ path });
    const restarted = new RegistrationWatch(Date.now, reopened.db);
    expect(restarted.isRegistered('sip:u0@ims.lab') && restarted.isRegistered('sip:u99@ims.lab')).toBe(true);
    reopened.db.close();
  });
});
