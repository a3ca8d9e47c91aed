// Scenario reconnect-without-backlog: Reconnection into an active session with nothing stored.
import { USERS, scenario } from '../scenario.js';
import {
  brief,
  cpmServiceOf,
  groupHops,
  msrpSends,
  requestHops,
  responsesTo,
  sdpDirection,
} from '../wire.js';

export const reconnectWithoutBacklog = scenario(
  'reconnect-without-backlog',
  'Reconnection into an active session with nothing stored',
  ['PF', 'A2.a', 'A2.i'],
  "the group's session is live; alice leaves it by going offline and nobody writes while she is away. When she registers again the PF still invites her into the live session (cpm.session, a=sendrecv) with nothing to deliver, and live traffic reaches her there.",
  async (s, c, readHops) => {
    const group = await s.newGroup('reconnect', USERS);
    await s.send('bob', group, 'all here');
    await s.waitReceived('alice', group, ['all here']);
    await s.waitConnected(group, ['alice', 'bob', 'carol']);
    await s.offline('alice', 'deregister');
    await s.waitConnected(group, ['bob', 'carol']);
    const stored = await s.pending('alice', group);
    await s.online('alice');
    await s.waitConnected(group, ['alice', 'bob', 'carol']);
    await s.send('bob', group, 'welcome back');
    await s.waitReceived('alice', group, ['welcome back']);
    const all = await readHops();
    const hops = groupHops(all, group);
    const register = requestHops(all, { method: 'REGISTER', from: 'cscf', to: 'pf' }).filter(
      (h) => s.userPattern('alice').test(h.message.get('to') ?? '') && h.message.get('expires') !== '0',
    );
    const lastRegister = register.at(-1);
    const invite = requestHops(hops, { method: 'INVITE', to: 'alice' }).find(
      (h) => lastRegister !== undefined && h.index > lastRegister.index && h.message.toTag === undefined,
    );
    const answer = invite ? responsesTo(hops, invite.message, 'alice')[0] : undefined;
    c.add(
      'PF',
      'nothing was stored for alice, and after she registers the PF invites her into the live session',
      stored === 0 && invite !== undefined,
      invite ? `${stored} stored; ${brief(invite.hop)}` : `${stored} stored; no INVITE after the REGISTER`,
      [lastRegister?.hop, invite?.hop],
    );
    c.add(
      'A2.a',
      'the invitation carries Accept-Contact +g.3gpp.icsi-ref=cpm.session and alice answers 200 OK',
      invite !== undefined && cpmServiceOf(invite.message) === 'session' && answer?.message.status === 200,
      answer ? brief(answer.hop) : 'no answer',
      [invite?.hop, answer?.hop],
    );
    c.add(
      'A2.i',
      'offer and answer are a=sendrecv',
      invite !== undefined &&
        sdpDirection(invite.message) === 'sendrecv' &&
        answer !== undefined &&
        sdpDirection(answer.message) === 'sendrecv',
      invite ? `${sdpDirection(invite.message)} / ${answer ? sdpDirection(answer.message) : '-'}` : undefined,
      [invite?.hop, answer?.hop],
    );
    const live = msrpSends(hops, { from: 'pf', to: 'alice' }).find(
      (x) => x.inner?.text === 'welcome back' && invite !== undefined && x.index > invite.index,
    );
    c.add(
      'A2.i',
      'live traffic reaches alice on that session',
      live !== undefined,
      live ? brief(live.hop) : 'not seen',
      [live?.hop],
    );
  },
);
