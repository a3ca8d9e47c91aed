import { describe, expect, it } from 'vitest';
import { planDeliveries } from './delivery-planner.js';
import { createGroup } from './groups.js';
import {
  decideInvitationOutcome,
  type InvitationResult,
  type OutcomeDisposition,
} from './invitation-outcome.js';

const ALICE = 'sip:alice@ims.lab';
const BOB = 'sip:bob@ims.lab';
const CAROL = 'sip:carol@ims.lab';
const T0 = Date.UTC(2026, 10, 24, 10, 15, 0);
const group = createGroup({
  id: '7',
  creator: { uri: BOB },
  participants: [{ uri: ALICE }, { uri: CAROL }],
  now: T0,
});
const [invitation] = planDeliveries({ user: ALICE, state: 'online' }, [
  { group, pending: 2, session: 'inactive' },
]).invitations;

function decide(result: InvitationResult) {
  return decideInvitationOutcome({ invitation: invitation!, group, result, now: T0 + 60_000 });
}

describe('invitation outcome (protocol-notes §4; D1.iv, D1.v, A2.ii)', () => {
  const table: [string, InvitationResult, OutcomeDisposition, string | undefined][] = [
    ['D1.v: 200 → deliver', { kind: 'response', status: 200 }, 'deliver', 'delivering'],
    ['D1.v: 202 (any 2xx) → deliver', { kind: 'response', status: 202 }, 'deliver', 'delivering'],
    ['D1.v.1: 603 → removed', { kind: 'response', status: 603, reason: 'Decline' }, 'removed', undefined],
    ['D1.v.2: 480 → retry at next registration', { kind: 'response', status: 480 }, 'retry-later', 'pending'],
    ['D1.iv: 481 → stopped', { kind: 'response', status: 481 }, 'stopped', 'stopped-481'],
    ['protocol-notes §3: 408 → retry', { kind: 'response', status: 408 }, 'retry-later', 'pending'],
    ['protocol-notes §4: 503 → retry', { kind: 'response', status: 503 }, 'retry-later', 'pending'],
    ['protocol-notes §4: 486 → retry', { kind: 'response', status: 486 }, 'retry-later', 'pending'],
    ['protocol-notes §4: 302 → retry', { kind: 'response', status: 302 }, 'retry-later', 'pending'],
    ['protocol-notes §4: 600 → retry', { kind: 'response', status: 600 }, 'retry-later', 'pending'],
    [
      'protocol-notes §3: no response → retry',
      { kind: 'transport-failure', detail: 'flow closed' },
      'retry-later',
      'pending',
    ],
    [
      'protocol-notes §4: MSRP dropped → retry',
      { kind: 'delivery-interrupted', detail: 'ECONNRESET' },
      'retry-later',
      'pending',
    ],
  ];
  for (const [name, result, disposition, status] of table) {
    it(name, () => {
      const d = decide(result);
      expect(d.disposition).toBe(disposition);
      const statusEffect = d.storeEffects.find((e) => e.type === 'set-delivery-status');
      expect(statusEffect?.type === 'set-delivery-status' ? statusEffect.status : undefined).toBe(status);
      if (disposition === 'retry-later') {
        expect(d.nodeEffects).toEqual([
          expect.objectContaining({ type: 'retry-at-next-registration', recipient: ALICE, groupId: '7' }),
        ]);
        // Nothing is dropped or removed.
        expect(d.storeEffects.map((e) => e.type)).toEqual(['set-delivery-status']);
      }
    });
  }

  it('D1.v: 200 starts delivery with the invitation flags (group state first, BYE after backlog)', () => {
    const d = decide({ kind: 'response', status: 200 });
    expect(d.nodeEffects).toEqual([{ type: 'start-delivery', invitation }]);
    expect(d.storeEffects).toEqual([
      {
        type: 'set-delivery-status',
        recipient: ALICE,
        groupId: '7',
        status: 'delivering',
        outcome: '200',
        reason: '200',
        countAttempt: true,
      },
    ]);
  });

  it('protocol-notes §4: 603 removes the user, drops the backlog and tells the remaining members', () => {
    const d = decide({ kind: 'response', status: 603, reason: 'Decline' });
    expect(d.storeEffects).toEqual([
      { type: 'remove-participant', groupId: '7', participant: ALICE },
      { type: 'drop-backlog', recipient: ALICE, groupId: '7' },
    ]);
    const [notify] = d.nodeEffects;
    if (notify?.type !== 'notify-participant-removed') throw new Error(`unexpected ${notify?.type}`);
    expect(notify.removed).toBe(ALICE);
    expect(notify.notify).toEqual([BOB, CAROL]);
    expect(notify.group.participants.find((p) => p.uri === ALICE)?.status).toBe('removed-declined');
    expect(notify.group.stateChangedAt).toBeGreaterThan(group.stateChangedAt);
  });

  it('D1.iv: 481 records the reason and stops', () => {
    const d = decide({ kind: 'response', status: 481, reason: 'Call/Transaction Does Not Exist' });
    expect(d.nodeEffects).toEqual([
      {
        type: 'delivery-stopped',
        recipient: ALICE,
        groupId: '7',
        reason: '481 Call/Transaction Does Not Exist',
      },
    ]);
  });

  it('an interrupted delivery does not count another attempt; an unanswered INVITE does', () => {
    const attempt = (r: InvitationResult) => {
      const e = decide(r).storeEffects[0];
      return e?.type === 'set-delivery-status' ? e.countAttempt : undefined;
    };
    expect(attempt({ kind: 'delivery-interrupted', detail: 'x' })).toBe(false);
    expect(attempt({ kind: 'transport-failure', detail: 'x' })).toBe(true);
    expect(attempt({ kind: 'response', status: 480 })).toBe(true);
  });

  it('delivery complete → finish the delivery record', () => {
    expect(decide({ kind: 'delivery-complete' })).toEqual({
      disposition: 'done',
      storeEffects: [{ type: 'finish-delivery', recipient: ALICE, groupId: '7' }],
      nodeEffects: [],
    });
  });

  it('RFC 3261 §17.1.1: a provisional response does not end the INVITE and is refused', () => {
    expect(() => decide({ kind: 'response', status: 180 })).toThrow(RangeError);
    expect(() => decide({ kind: 'response', status: 700 })).toThrow(RangeError);
  });
});
