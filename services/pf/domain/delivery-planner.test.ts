import { describe, expect, it } from 'vitest';
import { ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../../protocol/cpm/index.js';
import type { DeliveryRecord, DeliveryStatus } from './delivery.js';
import { type BacklogGroup, planDeliveries } from './delivery-planner.js';
import { createGroup, type Group, removeParticipant, type SessionState } from './groups.js';

const ALICE = 'sip:alice@ims.lab';
const T0 = Date.UTC(2026, 10, 24, 10, 15, 0);

function group(id: string): Group {
  return createGroup({
    id,
    creator: { uri: 'sip:bob@ims.lab' },
    participants: [{ uri: ALICE }, { uri: 'sip:carol@ims.lab' }],
    subject: `subject ${id}`,
    now: T0,
  });
}

function record(groupId: string, status: DeliveryStatus): DeliveryRecord {
  return { recipient: ALICE, groupId, status, changedAt: T0, attempts: 0 };
}

type Standing = 'pending' | 'stopped-481' | 'delivering' | 'removed' | 'no-record';

function entry(session: SessionState, pending: number, standing: Standing): BacklogGroup {
  const g = group('7');
  const e: BacklogGroup = {
    group: standing === 'removed' ? removeParticipant(g, ALICE, T0 + 1) : g,
    pending,
    session,
  };
  if (standing !== 'removed' && standing !== 'no-record') e.delivery = record('7', standing);
  return e;
}

const INVITE_ACTIVE = {
  icsi: ICSI_CPM_SESSION,
  direction: 'sendrecv',
  sendGroupStateFirst: false,
  byeAfterBacklog: false,
};
const INVITE_INACTIVE = {
  icsi: ICSI_CPM_DEFERRED,
  direction: 'sendonly',
  sendGroupStateFirst: true,
  byeAfterBacklog: true,
};

describe('delivery planner (clause PF; protocol-notes §4)', () => {
  // session × backlog × standing → invitation shape, or the skip reason.
  const table: [SessionState, number, Standing, object | string][] = [
    ['active', 3, 'pending', INVITE_ACTIVE],
    ['active', 3, 'no-record', INVITE_ACTIVE],
    ['inactive', 3, 'pending', INVITE_INACTIVE],
    ['inactive', 3, 'no-record', INVITE_INACTIVE],
    ['active', 0, 'pending', 'no-backlog'],
    ['inactive', 0, 'pending', 'no-backlog'],
    ['active', 3, 'stopped-481', 'stopped-481'],
    ['inactive', 3, 'stopped-481', 'stopped-481'],
    ['active', 0, 'stopped-481', 'no-backlog'],
    ['active', 3, 'removed', 'not-a-member'],
    ['inactive', 3, 'removed', 'not-a-member'],
    ['inactive', 0, 'removed', 'no-backlog'],
    ['active', 3, 'delivering', 'already-delivering'],
    ['inactive', 3, 'delivering', 'already-delivering'],
  ];

  for (const [session, pending, standing, expected] of table) {
    const label =
      typeof expected === 'string'
        ? `skip (${expected})`
        : session === 'active'
          ? 'cpm.session + sendrecv, backlog then live traffic'
          : 'cpm.deferred + sendonly, group state, backlog, BYE';
    it(`PF: ${session} session, backlog ${pending}, ${standing} → ${label}`, () => {
      const plan = planDeliveries({ user: ALICE, state: 'online' }, [entry(session, pending, standing)]);
      if (typeof expected === 'string') {
        expect(plan.invitations).toEqual([]);
        expect(plan.skipped).toEqual([{ groupId: '7', reason: expected }]);
      } else {
        expect(plan.skipped).toEqual([]);
        expect(plan.invitations).toHaveLength(1);
        expect(plan.invitations[0]).toMatchObject(expected);
      }
    });
  }

  it('protocol-notes §4: the invitation carries the group IDs, subject, conference URI and the AoR of the user', () => {
    const g = group('7');
    const plan = planDeliveries({ user: '<sip:alice@IMS.lab;transport=tcp>', state: 'online' }, [
      { group: g, pending: 2, session: 'inactive' },
    ]);
    expect(plan.invitations[0]).toEqual({
      recipient: ALICE,
      groupId: '7',
      conferenceUri: 'sip:group-7@ims.lab',
      conversationId: g.conversationId,
      contributionId: g.contributionId,
      subject: 'subject 7',
      pending: 2,
      ...INVITE_INACTIVE,
    });
  });

  // Clause PF, second half: a returning user is reconnected to an active session even with nothing stored.
  const returning: [SessionState, Standing, object | string][] = [
    ['active', 'no-record', INVITE_ACTIVE],
    ['active', 'pending', INVITE_ACTIVE],
    ['inactive', 'no-record', 'no-backlog'],
    ['active', 'stopped-481', 'stopped-481'],
    ['active', 'removed', 'not-a-member'],
    ['active', 'delivering', 'already-delivering'],
  ];
  for (const [session, standing, expected] of returning) {
    it(`PF: returning user, ${session} session, nothing stored, ${standing} → ${typeof expected === 'string' ? `skip (${expected})` : 'cpm.session + sendrecv'}`, () => {
      const plan = planDeliveries({ user: ALICE, state: 'online', returning: true }, [
        entry(session, 0, standing),
      ]);
      if (typeof expected === 'string') {
        expect(plan.invitations).toEqual([]);
        expect(plan.skipped).toEqual([{ groupId: '7', reason: expected }]);
      } else {
        expect(plan.invitations).toEqual([expect.objectContaining({ ...expected, pending: 0 })]);
      }
    });
  }

  it('PF: a refresh (not returning) with nothing stored invites nobody, even into an active session', () => {
    const plan = planDeliveries({ user: ALICE, state: 'online', returning: false }, [
      entry('active', 0, 'no-record'),
    ]);
    expect(plan.invitations).toEqual([]);
  });

  it('protocol-notes §3: going offline sends nothing, whatever the backlog', () => {
    const plan = planDeliveries({ user: ALICE, state: 'offline' }, [entry('active', 5, 'pending')]);
    expect(plan).toEqual({ invitations: [], skipped: [] });
  });

  it('PF: one invitation per group with a backlog, in the order given, each by its own session state', () => {
    const plan = planDeliveries({ user: ALICE, state: 'online' }, [
      { group: group('1'), pending: 1, session: 'inactive' },
      { group: group('2'), pending: 0, session: 'active' },
      { group: group('3'), pending: 4, session: 'active' },
    ]);
    expect(plan.invitations.map((i) => [i.groupId, i.direction])).toEqual([
      ['1', 'sendonly'],
      ['3', 'sendrecv'],
    ]);
    expect(plan.skipped).toEqual([{ groupId: '2', reason: 'no-backlog' }]);
  });
});
