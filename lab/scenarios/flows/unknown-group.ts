// Scenario unknown-group: Invitations for a group the client does not know (481).
import { USERS, scenario, invitationTo, waitFor } from '../scenario.js';
import { brief, cpmServiceOf } from '../wire.js';

export const unknownGroup = scenario(
  'unknown-group',
  'Invitations for a group the client does not know (481)',
  ['D1.iv', 'A2.ii'],
  'the PF holds messages for alice in two groups her client has never heard of: one with an inactive session (cpm.deferred) and one with an active session (cpm.session). alice answers both with 481 Call/Transaction Does Not Exist; the PF stops delivery for them and records it.',
  async (s, c, readHops) => {
    const quiet = await s.newGroup('unknown-deferred', USERS, ['bob', 'carol']);
    const live = await s.newGroup('unknown-active', USERS, ['bob', 'carol']);
    await s.offline('alice', 'deregister');
    await s.send('bob', quiet, 'you do not know this group');
    await s.send('bob', live, 'nor this one');
    await s.waitStored('alice', quiet, 1);
    await s.waitStored('alice', live, 1);
    await s.waitSent('bob', quiet, ['you do not know this group']);
    await s.endSession(quiet);
    await s.waitConnected(live, ['bob', 'carol']);
    await s.online('alice');
    await waitFor(
      s,
      'the PF to record both 481s',
      async () =>
        (await s.deliveryStatus('alice', quiet)) === 'stopped-481' &&
        (await s.deliveryStatus('alice', live)) === 'stopped-481',
    );
    const hops = await readHops(); // invitationTo picks each group's INVITE by its Conversation-ID
    const d = invitationTo(hops, 'alice', quiet);
    const a = invitationTo(hops, 'alice', live);
    c.add(
      'D1.iv',
      'cpm.deferred INVITE with unknown Conversation-ID/Contribution-ID → 481',
      d.invite !== undefined &&
        cpmServiceOf(d.invite.message) === 'deferred' &&
        d.answer?.message.status === 481,
      d.answer ? brief(d.answer.hop) : 'no answer',
      [d.invite?.hop, d.answer?.hop],
    );
    c.add(
      'A2.ii',
      'cpm.session INVITE with unknown Conversation-ID/Contribution-ID → 481',
      a.invite !== undefined &&
        cpmServiceOf(a.invite.message) === 'session' &&
        a.answer?.message.status === 481,
      a.answer ? brief(a.answer.hop) : 'no answer',
      [a.invite?.hop, a.answer?.hop],
    );
    c.add(
      'D1.iv',
      'the PF records the 481 and stops delivery for that group to alice',
      (await s.deliveryStatus('alice', quiet)) === 'stopped-481',
    );
  },
);
