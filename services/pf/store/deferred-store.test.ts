import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createGroup } from '../domain/index.js';
import type { PfStores } from './apply-effects.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { openStores } from './stores.js';
import { ALICE, BOB, CAROL, item, memoryStores, sampleGroup, T0 } from './test-support/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function withGroups(stores: PfStores, ...ids: string[]): PfStores {
  for (const id of ids) stores.groups.create(sampleGroup(id));
  return stores;
}

const ids = (stores: PfStores, recipient: string, groupId: string) =>
  stores.deferred.peek(recipient, groupId).map((i) => i.messageId);

describe('DeferredStore: per (recipient, group) ordered queue (protocol-notes §4)', () => {
  it('keeps arrival order per recipient and group across many interleaved items', () => {
    const stores = withGroups(memoryStores(), '1', '2', '3');
    const expected = new Map<string, string[]>();
    for (let n = 0; n < 300; n++) {
      const recipient = [ALICE, CAROL][n % 2]!;
      const groupId = String((n % 3) + 1);
      stores.deferred.enqueue(item(recipient, groupId, n));
      const key = `${recipient} ${groupId}`;
      expected.set(key, [...(expected.get(key) ?? []), `m-${n}`]);
    }
    for (const [key, messageIds] of expected) {
      const [recipient, groupId] = key.split(' ') as [string, string];
      expect(ids(stores, recipient, groupId)).toEqual(messageIds);
      const items = stores.deferred.peek(recipient, groupId);
      expect(items.map((i) => i.id)).toEqual([...items.map((i) => i.id)].sort((a, b) => a - b));
    }
  });

  it('stores every field, the body byte for byte, and normalises addresses to AoRs', () => {
    const stores = withGroups(memoryStores(), '7');
    const body = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x0d, 0x0a, ...Buffer.from('é')]);
    const r = stores.deferred.enqueue(
      item('<sip:alice@IMS.LAB;transport=tcp>', '7', 'x', { kind: 'imdn', body, sender: 'sip:bob@Ims.Lab' }),
    );
    expect(r.stored).toBe(true);
    const [stored] = stores.deferred.peek(ALICE, '7');
    expect(stored).toMatchObject({
      recipient: ALICE,
      groupId: '7',
      kind: 'imdn',
      messageId: 'm-x',
      sender: BOB,
      contentType: 'message/cpim',
      storedAt: T0,
    });
    expect(Buffer.compare(stored!.body, body)).toBe(0);
    expect(stores.deferred.get(stored!.id)?.body.equals(body)).toBe(true);
  });

  it('peek pages with afterId and limit', () => {
    const stores = withGroups(memoryStores(), '7');
    const items = stores.deferred.enqueueMany([1, 2, 3, 4, 5].map((n) => item(ALICE, '7', n)));
    const first = items[1]!.stored ? items[1]!.item.id : -1;
    expect(stores.deferred.peek(ALICE, '7', { limit: 2 }).map((i) => i.messageId)).toEqual(['m-1', 'm-2']);
    expect(stores.deferred.peek(ALICE, '7', { afterId: first, limit: 2 }).map((i) => i.messageId)).toEqual([
      'm-3',
      'm-4',
    ]);
  });

  it('architecture.md: only the acked item leaves the store; ack is idempotent', () => {
    const stores = withGroups(memoryStores(), '7');
    const results = stores.deferred.enqueueMany([1, 2, 3].map((n) => item(ALICE, '7', n)));
    const second = results[1]!;
    if (!second.stored) throw new Error('not stored');
    expect(stores.deferred.ack(second.item.id)).toBe(true);
    expect(ids(stores, ALICE, '7')).toEqual(['m-1', 'm-3']);
    expect(stores.deferred.ack(second.item.id)).toBe(false);
    expect(stores.deferred.ack(999_999)).toBe(false);
    expect(ids(stores, ALICE, '7')).toEqual(['m-1', 'm-3']);
  });

  it('never stores the same imdn.Message-ID twice for a recipient and group, even after delivery', () => {
    const stores = withGroups(memoryStores(), '7', '8');
    const first = stores.deferred.enqueue(item(ALICE, '7', 1));
    expect(first.stored).toBe(true);
    expect(stores.deferred.enqueue(item(ALICE, '7', 1, { body: Buffer.from('other') }))).toEqual({
      stored: false,
      reason: 'duplicate',
      messageId: 'm-1',
    });
    // Same Message-ID for another recipient or another group is a different item.
    expect(stores.deferred.enqueue(item(CAROL, '7', 1)).stored).toBe(true);
    expect(stores.deferred.enqueue(item(ALICE, '8', 1)).stored).toBe(true);
    // Duplicates inside one batch.
    const batch = stores.deferred.enqueueMany([item(ALICE, '7', 2), item(ALICE, '7', 2)]);
    expect(batch.map((r) => r.stored)).toEqual([true, false]);
    // After delivery (ack) a retransmission is not stored again ...
    if (first.stored) stores.deferred.ack(first.item.id);
    expect(stores.deferred.enqueue(item(ALICE, '7', 1)).stored).toBe(false);
    // ... until the delivered log is pruned.
    expect(stores.deferred.pruneDelivered(T0 + 1)).toBe(1);
    expect(stores.deferred.enqueue(item(ALICE, '7', 1)).stored).toBe(true);
    expect(ids(stores, ALICE, '7')).toEqual(['m-2', 'm-1']);
  });

  it('enqueueMany is all or nothing: an unknown group or an invalid item stores none', () => {
    const stores = withGroups(memoryStores(), '7');
    expect(() => stores.deferred.enqueueMany([item(ALICE, '7', 1), item(ALICE, 'nope', 2)])).toThrow(
      expect.objectContaining({ code: 'unknown-group' }),
    );
    expect(() =>
      stores.deferred.enqueueMany([item(ALICE, '7', 1), item(ALICE, '7', 2, { messageId: ' ' })]),
    ).toThrow(expect.objectContaining({ code: 'invalid-item' }));
    expect(() => stores.deferred.enqueue(item(ALICE, '7', 3, { kind: 'bogus' as 'message' }))).toThrow(
      expect.objectContaining({ code: 'invalid-item' }),
    );
    expect(stores.deferred.counts()).toEqual([]);
  });

  it('rejects a body above the configured bound', () => {
    const stores = openStores({ path: ':memory:', maxBodyBytes: 16 });
    stores.groups.create(sampleGroup());
    expect(() => stores.deferred.enqueue(item(ALICE, '7', 1, { body: Buffer.alloc(17) }))).toThrow(
      expect.objectContaining({ code: 'invalid-item' }),
    );
    expect(stores.deferred.enqueue(item(ALICE, '7', 1, { body: Buffer.alloc(16) })).stored).toBe(true);
  });

  it('protocol-notes §4 (603): drop removes that (recipient, group) backlog and record only', () => {
    const stores = withGroups(memoryStores(), '7', '8');
    stores.deferred.enqueueMany([
      item(ALICE, '7', 1),
      item(ALICE, '7', 2),
      item(ALICE, '8', 3),
      item(CAROL, '7', 4),
    ]);
    expect(stores.deferred.drop('sip:alice@ims.lab', '7')).toBe(2);
    expect(stores.deferred.drop(ALICE, '7')).toBe(0);
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toBeUndefined();
    expect(ids(stores, ALICE, '8')).toEqual(['m-3']);
    expect(ids(stores, CAROL, '7')).toEqual(['m-4']);
  });

  it('/state: counts per user and group, backlog of a user ordered by its oldest item', () => {
    let now = T0;
    const stores = withGroups(
      memoryStores(() => now),
      '7',
      '8',
    );
    stores.deferred.enqueue(item(ALICE, '8', 1, { body: Buffer.alloc(10) }));
    now += 1000;
    stores.deferred.enqueueMany([
      item(ALICE, '7', 2, { body: Buffer.alloc(5) }),
      item(ALICE, '8', 3, { body: Buffer.alloc(7) }),
    ]);
    stores.deferred.enqueue(item(CAROL, '7', 4, { body: Buffer.alloc(1) }));
    const counts = stores.deferred.counts();
    expect(counts.map((c) => [c.recipient, c.groupId, c.pending, c.bytes, c.oldestStoredAt])).toEqual([
      [ALICE, '8', 2, 17, T0],
      [ALICE, '7', 1, 5, T0 + 1000],
      [CAROL, '7', 1, 1, T0 + 1000],
    ]);
    expect(counts[0]!.delivery).toMatchObject({ status: 'pending', attempts: 0 });
    expect(stores.deferred.backlogOf(ALICE).map((c) => c.groupId)).toEqual(['8', '7']);
    expect(stores.deferred.backlogOf(BOB)).toEqual([]);
    expect(stores.deferred.pendingCount(ALICE, '8')).toBe(2);
  });

  it('delivery records: status, reason, attempts; finish and resume; reset after restart', () => {
    const stores = withGroups(memoryStores(), '7');
    stores.deferred.enqueue(item(ALICE, '7', 1));
    expect(
      stores.deferred.setDeliveryStatus(ALICE, '7', 'delivering', { outcome: '200', countAttempt: true }),
    ).toMatchObject({
      status: 'delivering',
      attempts: 1,
      lastOutcome: '200',
    });
    expect(stores.deferred.recoverAfterRestart()).toBe(1);
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({ status: 'pending', attempts: 1 });
    stores.deferred.setDeliveryStatus(ALICE, '7', 'stopped-481', {
      reason: '481 Call/Transaction Does Not Exist',
      outcome: '481',
      countAttempt: true,
    });
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({
      status: 'stopped-481',
      reason: '481 Call/Transaction Does Not Exist',
      attempts: 2,
    });
    expect(stores.deferred.resumeDelivery(ALICE, '7')).toBe(true);
    expect(stores.deferred.resumeDelivery(ALICE, '7')).toBe(false);
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({ status: 'pending', attempts: 0 });
    const [only] = stores.deferred.peek(ALICE, '7');
    stores.deferred.ack(only!.id);
    expect(stores.deferred.finishDelivery(ALICE, '7')).toBeUndefined();
    expect(stores.deferred.deliveryRecords()).toEqual([]);
    expect(() => stores.deferred.setDeliveryStatus(ALICE, 'nope', 'pending')).toThrow(
      expect.objectContaining({ code: 'unknown-group' }),
    );
  });

  it('a queue gets its pending delivery record with its first item only; duplicates and later items keep it as set', () => {
    let now = T0;
    const stores = withGroups(
      memoryStores(() => now),
      '7',
    );
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toBeUndefined();
    stores.deferred.enqueue(item(ALICE, '7', 1));
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(stores.deferred.deliveryRecord(ALICE, '7')?.changedAt).toBe(T0);
    now = T0 + 1000;
    stores.deferred.setDeliveryStatus(ALICE, '7', 'stopped-481', { reason: '481', countAttempt: true });
    now = T0 + 2000;
    expect(
      stores.deferred.enqueueMany([item(ALICE, '7', 2), item(ALICE, '7', 1)]).map((r) => r.stored),
    ).toEqual([true, false]);
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({
      status: 'stopped-481',
      reason: '481',
      attempts: 1,
      changedAt: T0 + 1000,
    });
    // Another queue, and an item that is a duplicate of a delivered one: no record for a queue that stays empty.
    const [first] = stores.deferred.enqueueMany([item(CAROL, '7', 1)]);
    if (first?.stored) stores.deferred.ack(first.item.id);
    expect(stores.deferred.finishDelivery(CAROL, '7')).toBeUndefined();
    expect(stores.deferred.enqueue(item(CAROL, '7', 1)).stored).toBe(false);
    expect(stores.deferred.deliveryRecord(CAROL, '7')).toBeUndefined();
  });

  it('a store written at schema 2 keeps its queues and records when upgraded, and new queues get theirs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-deferred-'));
    dirs.push(dir);
    const path = join(dir, 'pf.db');
    const old = openStores({ path, migrations: MIGRATIONS.filter((m) => m.version <= 2) });
    old.groups.create(sampleGroup());
    old.deferred.enqueue(item(ALICE, '7', 1));
    old.deferred.setDeliveryStatus(ALICE, '7', 'stopped-481', { reason: '481' });
    old.db.close();

    const upgraded = openStores({ path });
    expect(upgraded.db.schemaVersion).toBe(SCHEMA_VERSION);
    upgraded.deferred.enqueue(item(ALICE, '7', 2));
    upgraded.deferred.enqueue(item(BOB, '7', 1));
    expect(ids(upgraded, ALICE, '7')).toEqual(['m-1', 'm-2']);
    expect(upgraded.deferred.deliveryRecord(ALICE, '7')).toMatchObject({ status: 'stopped-481' });
    expect(upgraded.deferred.deliveryRecord(BOB, '7')).toMatchObject({ status: 'pending' });
    upgraded.db.close();
  });

  it('persists items, order, acks and delivery records across close and reopen of a file database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-deferred-'));
    dirs.push(dir);
    const path = join(dir, 'store', 'pf.db');
    const first = openStores({ path });
    first.groups.create(sampleGroup());
    const results = first.deferred.enqueueMany([1, 2, 3, 4].map((n) => item(ALICE, '7', n)));
    const r3 = results[2]!;
    if (r3.stored) first.deferred.ack(r3.item.id);
    first.deferred.setDeliveryStatus(CAROL, '7', 'stopped-481', { reason: '481' });
    first.db.close();

    const second = openStores({ path });
    expect(ids(second, ALICE, '7')).toEqual(['m-1', 'm-2', 'm-4']);
    expect(second.deferred.deliveryRecord(CAROL, '7')).toMatchObject({
      status: 'stopped-481',
      reason: '481',
    });
    // Ids keep growing after a restart, even past deleted ones.
    const next = second.deferred.enqueue(item(ALICE, '7', 5));
    expect(next.stored && next.item.id).toBeGreaterThan(results[3]!.stored ? results[3]!.item.id : 0);
    second.db.close();
  });

  it('property: any interleaving of enqueue and ack keeps order and never loses an unacked item', () => {
    type Op = { op: 'enqueue'; recipient: number; group: number } | { op: 'ack'; pick: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constant('enqueue' as const), recipient: fc.nat(2), group: fc.nat(1) }),
      fc.record({ op: fc.constant('ack' as const), pick: fc.nat(1000) }),
    );
    const recipients = [ALICE, BOB, CAROL];
    const groupIds = ['1', '2'];
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const stores = memoryStores();
        for (const id of groupIds)
          stores.groups.create(createGroup({ id, creator: { uri: ALICE }, participants: [], now: T0 }));
        const model: { id: number; recipient: string; groupId: string; messageId: string }[] = [];
        let n = 0;
        for (const op of ops) {
          if (op.op === 'enqueue') {
            const recipient = recipients[op.recipient]!;
            const groupId = groupIds[op.group]!;
            const r = stores.deferred.enqueue(item(recipient, groupId, n++));
            if (!r.stored) return false;
            model.push({ id: r.item.id, recipient, groupId, messageId: r.item.messageId });
          } else if (model.length > 0) {
            const [victim] = model.splice(op.pick % model.length, 1);
            if (!stores.deferred.ack(victim!.id)) return false;
            if (stores.deferred.ack(victim!.id)) return false;
          }
        }
        for (const recipient of recipients) {
          for (const groupId of groupIds) {
            const expected = model.filter((m) => m.recipient === recipient && m.groupId === groupId);
            const actual = stores.deferred.peek(recipient, groupId);
            expect(actual.map((i) => [i.id, i.messageId])).toEqual(expected.map((m) => [m.id, m.messageId]));
          }
        }
        const total = stores.deferred.counts().reduce((sum, c) => sum + c.pending, 0);
        expect(total).toBe(model.length);
        stores.db.close();
        return true;
      }),
      { numRuns: 150 },
    );
  });
});
