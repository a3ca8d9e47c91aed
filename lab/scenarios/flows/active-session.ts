// Scenario active-session: Reconnection into an active group session.
import { USERS, scenario, invitationTo } from '../scenario.js';
import { brief, cpmServiceOf, groupHops, msrpSends, requestHops, sdpDirection } from '../wire.js';

export const activeSession = scenario(
  'active-session',
  'Reconnection into an active group session',
  ['A2.a', 'A2.i', 'PF'],
  'alice is offline while bob and carol chat; when alice registers the PF invites her into the live session with cpm.session and a=sendrecv: stored messages first, then live traffic; alice replies on the same session.',
  async (s, c, readHops) => {
    const group = await s.newGroup('active', USERS);
    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'while you were away');
    await s.waitStored('alice', group, 1);
    await s.waitConnected(group, ['bob', 'carol']);
    await s.online('alice');
    await s.waitReceived('alice', group, ['while you were away']);
    await s.waitConnected(group, ['alice', 'bob', 'carol']);
    await s.send('bob', group, 'live now');
    await s.waitReceived('alice', group, ['live now']);
    await s.send('alice', group, 'I am back');
    await s.waitReceived('bob', group, ['I am back']);
    const all = await readHops();
    const hops = groupHops(all, group);

    const { invite, answer } = invitationTo(hops, 'alice', group);
    if (!invite) {
      c.add(
        'A2.a',
        'alice receives the PF invitation',
        false,
        'no INVITE with the group Conversation-ID reached alice',
      );
      return;
    }
    c.add(
      'PF',
      'after alice registers the PF invites her into the still-active session',
      true,
      brief(invite.hop),
      [invite.hop],
    );
    c.add(
      'A2.a',
      'the INVITE carries Accept-Contact +g.3gpp.icsi-ref=cpm.session',
      cpmServiceOf(invite.message) === 'session',
      invite.message.getAll('accept-contact').join(' | '),
      [invite.hop],
    );
    c.add(
      'A2.a',
      'alice answers 200 OK (handled as a CPM session invitation)',
      answer?.message.status === 200,
      answer ? brief(answer.hop) : 'no answer',
      [answer?.hop],
    );
    c.add(
      'A2.i',
      'offer and answer are a=sendrecv: the group session is active',
      sdpDirection(invite.message) === 'sendrecv' &&
        answer !== undefined &&
        sdpDirection(answer.message) === 'sendrecv',
      `${sdpDirection(invite.message)} / ${answer ? sdpDirection(answer.message) : '-'}`,
      [invite.hop, answer?.hop],
    );
    const toAlice = msrpSends(hops, { from: 'pf', to: 'alice' }).filter((x) =>
      x.inner?.contentType.startsWith('text/plain'),
    );
    c.add(
      'A2.i',
      'the stored message comes first, then live traffic, on the one session',
      toAlice.map((x) => x.inner!.text).join('|') === 'while you were away|live now',
      toAlice.map((x) => x.inner!.text).join(' | '),
      toAlice.map((x) => x.hop),
    );
    const imdns = msrpSends(hops, { from: 'alice', to: 'pf' }).filter((x) =>
      x.inner?.contentType.includes('imdn'),
    );
    c.add(
      'A2.i',
      'delivery notifications go back over the MSRP session',
      imdns.length >= 1,
      `${imdns.length} IMDN SEND(s)`,
      imdns.map((x) => x.hop),
    );
    const smsg = requestHops(hops, { method: 'MESSAGE', from: 'alice' });
    c.add(
      'A2.i',
      'no notification is sent over SIP MESSAGE in the active session',
      smsg.length === 0,
      smsg.map((h) => brief(h.hop)).join('; ') || undefined,
      smsg.map((h) => h.hop),
    );
    const reply = msrpSends(hops, { from: 'alice', to: 'pf' }).find((x) => x.inner?.text === 'I am back');
    const aliceInvites = requestHops(hops, { method: 'INVITE', from: 'alice' });
    c.add(
      'A2.i',
      "alice's new message goes out on the same session (no new INVITE)",
      reply !== undefined && aliceInvites.length === 0,
      reply ? brief(reply.hop) : 'not sent over MSRP',
      [reply?.hop],
    );
  },
);
