// Scenario membership-change: Membership changes while a user is offline (group state object).
import { parseGroupState } from '../../../protocol/bodies/index.js';
import { scenario } from '../scenario.js';
import { groupHops, msrpSends } from '../wire.js';

export const membershipChange = scenario(
  'membership-change',
  'Membership changes while a user is offline (group state object)',
  ['D1.vii', 'D1.i'],
  "alice and bob form a group; alice goes offline and bob writes. While alice is away carol joins and bob leaves. alice's deferred delivery starts with the group state object: it lists alice and carol, not bob, and alice's client takes its participants (and its re-join target) from it, not from the list it was provisioned with.",
  async (s, c, readHops) => {
    const group = await s.newGroup('members', ['alice', 'bob']);
    await s.backlogThenReturn('alice', group, 'bob', ['before I go'], async () => {
      await s.addMember(group, 'carol');
      await s.removeMember(group, 'bob');
    });
    await s.waitReceived('alice', group, ['before I go']);
    await s.waitDelivered('alice', group);
    const all = await readHops();
    const hops = groupHops(all, group);
    const gso = msrpSends(hops, { from: 'pf', to: 'alice' }).find((x) =>
      x.contentType.startsWith('application/group-state-object+xml'),
    );
    let state: ReturnType<typeof parseGroupState> | undefined;
    try {
      state = gso?.frame.body ? parseGroupState(gso.frame.body) : undefined;
    } catch {
      state = undefined;
    }
    const listed = state?.participants.map((p) => p.commAddr).sort() ?? [];
    c.add(
      'D1.vii',
      'the group state object lists the members as they are now: alice and carol, not bob',
      listed.join(' ') === [s.aor('alice'), s.aor('carol')].sort().join(' '),
      listed.join(', ') || (gso ? 'unreadable group state object' : 'no group state object'),
      [gso?.hop],
    );
    const view = await s.clientGroup('alice', group);
    const known = view?.participants.map((p) => p.uri).sort() ?? [];
    c.add(
      'D1.vii',
      "alice's participant information follows the group state object (carol in, bob out), not the provisioned list",
      known.join(' ') === listed.join(' ') && known.includes(s.aor('carol')) && !known.includes(s.aor('bob')),
      known.join(', ') || 'group unknown',
    );
    c.add(
      'D1.vii',
      "alice's re-join target is the object's lastfocussessionid",
      state !== undefined && view !== undefined && view.conferenceUri === state.lastFocusSessionId,
      `${view?.conferenceUri ?? '-'} / ${state?.lastFocusSessionId ?? '-'}`,
      [gso?.hop],
    );
    const texts = msrpSends(hops, { from: 'pf', to: 'alice' })
      .filter((x) => x.inner?.contentType.startsWith('text/plain'))
      .map((x) => x.inner!.text);
    c.add(
      'D1.i',
      "bob's message, stored before he left, is still delivered",
      texts.includes('before I go'),
      texts.join(' | ') || 'none',
    );
  },
);
