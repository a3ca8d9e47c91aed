// The outcome table end to end on a store: decideInvitationOutcome → applyStoreEffects → store state.
import { describe, expect, it } from 'vitest';
import { decideInvitationOutcome, type InvitationResult, planDeliveries } from '../domain/index.js';
import { applyStoreEffects } from './apply-effects.js';
import { backlogGroupsFor, storeSnapshot } from './stores.js';
import { ALICE, BOB, CAROL, item, memoryStores, sampleGroup, T0 } from './test-support/fixtures.js';

function scenario() {
  const stores = memoryStores();
  stores.groups.create(sampleGroup('7'));
  stores.groups.create(sampleGroup('8'));
  stores.deferred.enqueueMany([
    item(ALICE, '7', 1),
    item(ALICE, '7', 2),
    item(ALICE, '8', 3),
    item(CAROL, '7', 4),
  ]);
  const plan = planDeliveries(
    { user: ALICE, state: 'online' },
    backlogGroupsFor(stores, ALICE, () => 'inactive'),
  );
  const invitation = plan.invitations.find((i) => i.groupId === '7')!;
  const answer = (result: InvitationResult) => {
    const decision = decideInvitationOutcome({
      invitation,
      group: stores.groups.get('7')!,
      result,
      now: T0 + 1000,
    });
    const applied = applyStoreEffects(stores, decision.storeEffects, T0 + 1000);
    return { decision, applied };
  };
  return { stores, plan, answer };
}

const messages = (s: ReturnType<typeof scenario>['stores'], recipient: string, groupId: string) =>
  s.deferred.peek(recipient, groupId).map((i) => i.messageId);

describe('invitation outcome applied to the store (protocol-notes §4)', () => {
  it('PF: plans one deferred invitation per group holding items for the returning user', () => {
    const { plan } = scenario();
    expect(plan.invitations.map((i) => i.groupId)).toEqual(['7', '8']);
  });

  it('D1.v: 200 → delivering; items stay until acked; delivery complete clears the record', () => {
    const { stores, answer } = scenario();
    answer({ kind: 'response', status: 200 });
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({ status: 'delivering', attempts: 1 });
    expect(messages(stores, ALICE, '7')).toEqual(['m-1', 'm-2']);
    // A registration refresh while delivering plans nothing new for group 7.
    const again = planDeliveries(
      { user: ALICE, state: 'online' },
      backlogGroupsFor(stores, ALICE, () => 'inactive'),
    );
    expect(again.skipped).toContainEqual({ groupId: '7', reason: 'already-delivering' });
    for (const i of stores.deferred.peek(ALICE, '7')) stores.deferred.ack(i.id);
    answer({ kind: 'delivery-complete' });
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toBeUndefined();
    expect(stores.deferred.backlogOf(ALICE).map((c) => c.groupId)).toEqual(['8']);
  });

  it('protocol-notes §4: 603 → user removed from the group, its backlog dropped, others untouched', () => {
    const { stores, answer } = scenario();
    const { decision, applied } = answer({ kind: 'response', status: 603 });
    expect(applied.dropped).toBe(2);
    expect(applied.changedGroups[0]?.participants.find((p) => p.uri === ALICE)?.status).toBe(
      'removed-declined',
    );
    expect(stores.groups.get('7')?.participants.find((p) => p.uri === ALICE)?.status).toBe(
      'removed-declined',
    );
    expect(messages(stores, ALICE, '7')).toEqual([]);
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toBeUndefined();
    expect(messages(stores, ALICE, '8')).toEqual(['m-3']);
    expect(messages(stores, CAROL, '7')).toEqual(['m-4']);
    expect(decision.nodeEffects[0]).toMatchObject({
      type: 'notify-participant-removed',
      notify: [BOB, CAROL],
    });
    // The stored group equals the one the node was told about.
    expect(
      decision.nodeEffects[0]?.type === 'notify-participant-removed' && decision.nodeEffects[0].group,
    ).toEqual(stores.groups.get('7'));
  });

  it('D1.v.2: 480 → items kept, pending, invited again at the next registration', () => {
    const { stores, answer } = scenario();
    answer({ kind: 'response', status: 480 });
    expect(stores.deferred.deliveryRecord(ALICE, '7')).toMatchObject({
      status: 'pending',
      lastOutcome: '480',
      attempts: 1,
    });
    expect(messages(stores, ALICE, '7')).toEqual(['m-1', 'm-2']);
    const next = planDeliveries(
      { user: ALICE, state: 'online' },
      backlogGroupsFor(stores, ALICE, () => 'inactive'),
    );
    expect(next.invitations.map((i) => i.groupId)).toContain('7');
  });

  it('D1.iv: 481 → stopped for that group and user, recorded in /state, items kept; other groups unaffected', () => {
    const { stores, answer } = scenario();
    answer({ kind: 'response', status: 481, reason: 'Call/Transaction Does Not Exist' });
    const snapshot = storeSnapshot(stores);
    expect(snapshot.deliveries.find((d) => d.recipient === ALICE && d.groupId === '7')).toMatchObject({
      status: 'stopped-481',
      reason: '481 Call/Transaction Does Not Exist',
    });
    expect(messages(stores, ALICE, '7')).toEqual(['m-1', 'm-2']);
    const next = planDeliveries(
      { user: ALICE, state: 'online' },
      backlogGroupsFor(stores, ALICE, () => 'active'),
    );
    expect(next.invitations.map((i) => i.groupId)).toEqual(['8']);
    expect(next.skipped).toEqual([{ groupId: '7', reason: 'stopped-481' }]);
  });

  const keep: [string, InvitationResult][] = [
    ['408', { kind: 'response', status: 408 }],
    ['503', { kind: 'response', status: 503 }],
    ['transport error', { kind: 'transport-failure', detail: 'ECONNREFUSED' }],
    ['dropped MSRP', { kind: 'delivery-interrupted', detail: 'connection closed after 1 of 2' }],
  ];
  for (const [name, result] of keep) {
    it(`protocol-notes §3/§4: ${name} → every unacked item kept, pending, retried at next registration`, () => {
      const { stores, answer } = scenario();
      answer({ kind: 'response', status: 200 });
      const [first] = stores.deferred.peek(ALICE, '7');
      stores.deferred.ack(first!.id);
      answer(result);
      expect(stores.deferred.deliveryRecord(ALICE, '7')?.status).toBe('pending');
      expect(messages(stores, ALICE, '7')).toEqual(['m-2']);
    });
  }

  it('effects are all or nothing', () => {
    const { stores } = scenario();
    expect(() =>
      applyStoreEffects(
        stores,
        [
          { type: 'drop-backlog', recipient: ALICE, groupId: '7' },
          {
            type: 'set-delivery-status',
            recipient: ALICE,
            groupId: 'nope',
            status: 'pending',
            outcome: '480',
            countAttempt: true,
          },
        ],
        T0,
      ),
    ).toThrow(expect.objectContaining({ code: 'unknown-group' }));
    expect(messages(stores, ALICE, '7')).toEqual(['m-1', 'm-2']);
  });
});
