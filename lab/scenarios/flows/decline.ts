// Scenario decline: The user declines deferred messages and leaves the group (603).
import { USERS, scenario, invitationTo, waitFor } from '../scenario.js';
import { brief, groupHops } from '../wire.js';

export const decline = scenario(
  'decline',
  'The user declines deferred messages and leaves the group (603)',
  ['D1.v'],
  'alice\'s policy for the group is "decline": she answers the PF\'s invitation with 603 Decline; the PF removes her from the group and drops her backlog.',
  async (s, c, readHops) => {
    const group = await s.newGroup('decline', USERS);
    await s.policy('alice', 'decline', group);
    await s.backlogThenReturn('alice', group, 'bob', ['not for alice']);
    await waitFor(
      s,
      'alice to be removed from the group',
      async () =>
        (await s.pfGroup(group)).participants.find((p) => p.uri === s.aor('alice'))?.status !== 'member',
    );
    const all = await readHops();
    const hops = groupHops(all, group);
    const { invite, answer } = invitationTo(hops, 'alice', group);
    c.add(
      'D1.v',
      'alice answers the deferred invitation with 603 Decline',
      answer?.message.status === 603,
      answer ? brief(answer.hop) : 'no answer',
      [invite?.hop, answer?.hop],
    );
    const pfGroup = await s.pfGroup(group);
    c.add(
      'D1.v',
      'the PF removes alice from the group',
      pfGroup.participants.find((p) => p.uri === s.aor('alice'))?.status !== 'member',
      JSON.stringify(pfGroup.participants.find((p) => p.uri === s.aor('alice'))),
    );
    c.add('D1.v', "the PF drops alice's backlog", (await s.pending('alice', group)) === 0);
    const view = await s.clientGroup('alice', group);
    c.add(
      'D1.v',
      'alice leaves the group locally',
      view?.left === true,
      view ? `left=${view.left}` : 'group gone',
    );
  },
);
