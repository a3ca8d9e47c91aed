import { describe, expect, it } from 'vitest';
import { DeferredWriter } from './deferred-writer.js';
import { StoreError } from './errors.js';
import { ALICE, BOB, item, memoryStores, sampleGroup } from './test-support/fixtures.js';
import { WriteBatcher } from './write-batcher.js';

function setup(options: ConstructorParameters<typeof WriteBatcher>[1] = {}) {
  const stores = memoryStores();
  stores.groups.create(sampleGroup());
  const batcher = new WriteBatcher(stores.db, options);
  return { stores, batcher, writer: new DeferredWriter(stores.deferred, batcher) };
}

describe('WriteBatcher (architecture.md: batch store writes, none on the message path)', () => {
  it('runs the writes queued in one turn in one transaction and resolves each with its result', async () => {
    const { stores, batcher, writer } = setup();
    const promises = [1, 2, 3, 4, 5].map((n) => writer.enqueue(item(ALICE, '7', n)));
    // Nothing is written synchronously.
    expect(stores.deferred.pendingCount(ALICE, '7')).toBe(0);
    expect(batcher.pending).toBe(5);
    const results = await Promise.all(promises);
    expect(results.every((r) => r.stored)).toBe(true);
    expect(batcher.stats).toEqual({ batches: 1, ops: 5 });
    expect(stores.deferred.peek(ALICE, '7').map((i) => i.messageId)).toEqual([
      'm-1',
      'm-2',
      'm-3',
      'm-4',
      'm-5',
    ]);
  });

  it('splits a long queue into transactions of at most maxBatch ops, in order', async () => {
    const { stores, batcher, writer } = setup({ maxBatch: 4 });
    await Promise.all(Array.from({ length: 10 }, (_, n) => writer.enqueue(item(ALICE, '7', n))));
    expect(batcher.stats).toEqual({ batches: 3, ops: 10 });
    expect(stores.deferred.peek(ALICE, '7').map((i) => i.messageId)).toEqual(
      Array.from({ length: 10 }, (_, n) => `m-${n}`),
    );
  });

  it('a failing op rejects alone and is rolled back; the rest of the batch commits', async () => {
    const { stores, writer } = setup();
    const ok1 = writer.enqueue(item(ALICE, '7', 1));
    const bad = writer.enqueueMany([item(ALICE, '7', 2), item(ALICE, 'nope', 3)]);
    const ok2 = writer.enqueue(item(ALICE, '7', 4));
    await expect(bad).rejects.toMatchObject({ code: 'unknown-group' });
    await expect(ok1).resolves.toMatchObject({ stored: true });
    await expect(ok2).resolves.toMatchObject({ stored: true });
    expect(stores.deferred.peek(ALICE, '7').map((i) => i.messageId)).toEqual(['m-1', 'm-4']);
  });

  it('an op that catches a failing store call and goes on still commits, with that call undone alone', async () => {
    const { stores, batcher, writer } = setup();
    const ok = writer.enqueue(item(ALICE, '7', 1));
    const goesOn = batcher.run(() => {
      try {
        // m-2 is written before the unknown group throws: it must not stay.
        stores.deferred.enqueueMany([item(ALICE, '7', 2), item(ALICE, 'nope', 3)]);
      } catch {
        // the op decides to carry on
      }
      return stores.deferred.enqueue(item(ALICE, '7', 4)).stored;
    });
    await expect(goesOn).resolves.toBe(true);
    await expect(ok).resolves.toMatchObject({ stored: true });
    expect(stores.deferred.peek(ALICE, '7').map((i) => i.messageId)).toEqual(['m-1', 'm-4']);
  });

  it('a batch in which nothing fails runs without a savepoint (one transaction, no statements per op)', async () => {
    const { stores, batcher, writer } = setup();
    const exec = stores.db.db.exec.bind(stores.db.db);
    const statements: string[] = [];
    stores.db.db.exec = (sql: string) => {
      statements.push(sql);
      return exec(sql);
    };
    await Promise.all([1, 2, 3].map((n) => writer.enqueueMany([item(ALICE, '7', n), item(BOB, '7', n)])));
    expect(batcher.stats).toEqual({ batches: 1, ops: 3 });
    expect(statements).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
    expect(stores.deferred.pendingCount(BOB, '7')).toBe(3);
  });

  it('ack and drop go through the batch; ack stays idempotent', async () => {
    const { stores, writer } = setup();
    const [a, b] = await Promise.all([
      writer.enqueue(item(ALICE, '7', 1)),
      writer.enqueue(item(ALICE, '7', 2)),
    ]);
    if (!a?.stored || !b?.stored) throw new Error('not stored');
    expect(await Promise.all([writer.ack(a.item.id), writer.ack(a.item.id)])).toEqual([true, false]);
    await writer.setDeliveryStatus(ALICE, '7', 'delivering');
    expect(stores.deferred.deliveryRecord(ALICE, '7')?.status).toBe('delivering');
    expect(await writer.drop(ALICE, '7')).toBe(1);
    expect(stores.deferred.counts()).toEqual([]);
  });

  it('flush waits for queued writes; close refuses new ones', async () => {
    const { stores, batcher, writer } = setup();
    void writer.enqueue(item(ALICE, '7', 1));
    await batcher.flush();
    expect(stores.deferred.pendingCount(ALICE, '7')).toBe(1);
    await batcher.flush(); // nothing queued: resolves at once
    await batcher.close();
    await expect(writer.enqueue(item(ALICE, '7', 2))).rejects.toBeInstanceOf(StoreError);
  });

  it('rejects every op of a batch whose transaction cannot run', async () => {
    const { stores, writer } = setup();
    const pending = [writer.enqueue(item(ALICE, '7', 1)), writer.enqueue(item(ALICE, '7', 2))];
    stores.db.close();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'closed' });
  });
});
