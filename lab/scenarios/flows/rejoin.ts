// Scenario rejoin: Re-join after the deferred session, and none without a message.
import { USERS, scenario, invitationTo } from '../scenario.js';
import { brief, cpmServiceOf, groupHops, msrpSends, requestHops, sdpDirection } from '../wire.js';

export const rejoin = scenario(
  'rejoin',
  'Re-join after the deferred session, and none without a message',
  ['D1.viii', 'R3'],
  'alice registers with nothing to send: she does not re-join (R3). She writes while offline; on return the deferred session runs first, and only after its BYE does she re-join the group with a new INVITE and send (D1.viii).',
  async (s, c, readHops) => {
    const group = await s.newGroup('rejoin', USERS);
    await s.offline('alice', 'deregister');
    await s.online('alice');
    await s.observe(1000);
    let all = await readHops();
    let hops = groupHops(all, group);
    const early = requestHops(hops, { method: 'INVITE', from: 'alice' }).filter((h) =>
      h.message.uri.startsWith(group.conferenceUri),
    );
    c.add(
      'R3',
      'registering with an empty outbox: no re-join INVITE (observed 1 s)',
      early.length === 0,
      early.map((h) => brief(h.hop)).join('; ') || undefined,
      early.map((h) => h.hop),
    );

    await s.offline('alice', 'deregister');
    await s.send('bob', group, 'are you there?');
    await s.waitStored('alice', group, 1);
    await s.waitSent('bob', group, ['are you there?']);
    await s.endSession(group);
    await s.send('alice', group, 'back soon'); // typed while offline: queued (outbox)
    await s.online('alice');
    await s.waitReceived('alice', group, ['are you there?']);
    await s.waitReceived('bob', group, ['back soon']);
    all = await readHops();
    hops = groupHops(all, group);
    const { invite } = invitationTo(hops, 'alice', group);
    const bye = invite
      ? requestHops(hops, { method: 'BYE', to: 'alice' }).find(
          (h) => h.message.callId === invite.message.callId,
        )
      : undefined;
    const rejoinInvite = requestHops(hops, { method: 'INVITE', from: 'alice' }).find((h) =>
      h.message.uri.startsWith(group.conferenceUri),
    );
    c.add(
      'D1.viii',
      'a deferred session delivered the stored message first',
      invite !== undefined && cpmServiceOf(invite.message) === 'deferred',
      invite ? brief(invite.hop) : 'no deferred INVITE',
      [invite?.hop],
    );
    c.add(
      'D1.viii',
      "alice's re-join INVITE comes strictly after the deferred session's BYE",
      rejoinInvite !== undefined && bye !== undefined && rejoinInvite.index > bye.index,
      rejoinInvite && bye ? `BYE #${bye.index}, re-join #${rejoinInvite.index}` : 'BYE or re-join missing',
      [bye?.hop, rejoinInvite?.hop],
    );
    if (rejoinInvite) {
      const m = rejoinInvite.message;
      c.add(
        'D1.viii',
        're-join: INVITE to the conference URI with the group IDs, cpm.session, a=sendrecv',
        m.get('conversation-id')?.toLowerCase() === group.conversationId &&
          m.get('contribution-id')?.toLowerCase() === group.contributionId &&
          cpmServiceOf(m) === 'session' &&
          sdpDirection(m) === 'sendrecv',
        `${m.uri} ${cpmServiceOf(m)} ${sdpDirection(m)}`,
        [rejoinInvite.hop],
      );
    }
    const sent = msrpSends(hops, { from: 'alice', to: 'pf' }).find((x) => x.inner?.text === 'back soon');
    c.add(
      'R3',
      'alice re-joined because she had a message to send, and sent it on the new session',
      sent !== undefined && rejoinInvite !== undefined && sent.index > rejoinInvite.index,
      sent ? brief(sent.hop) : 'not sent',
      [sent?.hop],
    );
  },
);
