// Scenario later: The user wants the deferred messages later (480).
import { USERS, scenario, invitationTo, waitFor } from '../scenario.js';
import { brief, groupHops, requestHops } from '../wire.js';

export const later = scenario(
  'later',
  'The user wants the deferred messages later (480)',
  ['D1.v'],
  'alice\'s policy is "later": she answers 480 Temporarily Unavailable; the PF keeps the messages and delivers them at her next registration once she accepts.',
  async (s, c, readHops) => {
    const group = await s.newGroup('later', USERS);
    await s.policy('alice', 'later', group);
    await s.backlogThenReturn('alice', group, 'bob', ['keep this for later']);
    await waitFor(s, "alice's 480", async () => {
      const { answer } = invitationTo(groupHops(await readHops(), group), 'alice', group);
      return answer !== undefined;
    });
    let all = await readHops();
    let hops = groupHops(all, group);
    const first = invitationTo(hops, 'alice', group);
    c.add(
      'D1.v',
      'alice answers the deferred invitation with 480 Temporarily Unavailable',
      first.answer?.message.status === 480,
      first.answer ? brief(first.answer.hop) : 'no answer',
      [first.invite?.hop, first.answer?.hop],
    );
    c.add('D1.v', 'the PF keeps the message', (await s.pending('alice', group)) === 1);
    await s.policy('alice', 'accept', group);
    await s.offline('alice', 'deregister');
    await s.online('alice');
    await s.waitReceived('alice', group, ['keep this for later']);
    all = await readHops();
    hops = groupHops(all, group);
    const invites = requestHops(hops, { method: 'INVITE', to: 'alice' }).filter(
      (h) => h.message.get('conversation-id')?.toLowerCase() === group.conversationId,
    );
    c.add(
      'D1.v',
      'at the next registration the PF invites again and the message is delivered',
      invites.length >= 2,
      `${invites.length} invitations`,
      invites.map((h) => h.hop),
    );
  },
);
