// Scenario deferred-inactive: Deferred delivery into an inactive group session.
import { USERS, scenario, invitationTo } from '../scenario.js';
import {
  acceptContactFlags,
  brief,
  cpmServiceOf,
  groupHops,
  msrpBindings,
  msrpSends,
  requestHops,
  sdpDirection,
} from '../wire.js';

export const deferredInactive = scenario(
  'deferred-inactive',
  'Deferred delivery into an inactive group session',
  ['D1.a', 'D1.i', 'D1.ii', 'D1.iii', 'D1.v', 'D1.vi', 'D1.vii', 'PF'],
  'alice is offline while bob writes; the group session ends; when alice registers the PF invites her with cpm.deferred and a=sendonly, sends the group state object and the stored messages, then BYE.',
  async (s, c, readHops) => {
    const group = await s.newGroup('deferred', USERS);
    await s.backlogThenReturn('alice', group, 'bob', ['deferred 1', 'deferred 2']);
    const got = await s.waitReceived('alice', group, ['deferred 1', 'deferred 2']);
    await s.waitDelivered('alice', group);
    const all = await readHops();
    const hops = groupHops(all, group);

    const register = requestHops(all, { method: 'REGISTER', from: 'cscf', to: 'pf' }).filter(
      (h) => s.userPattern('alice').test(h.message.get('to') ?? '') && h.message.get('expires') !== '0',
    );
    const { invite, answer, ack } = invitationTo(hops, 'alice', group);
    const pfInvite = requestHops(hops, { method: 'INVITE', from: 'pf' }).find(
      (h) =>
        h.message.get('conversation-id')?.toLowerCase() === group.conversationId &&
        s.userPattern('alice').test(h.message.uri),
    );
    c.add(
      'PF',
      'after alice registers (third-party REGISTER), the PF invites her for the stored messages',
      register.length > 0 && pfInvite !== undefined && pfInvite.index > register[register.length - 1]!.index,
      undefined,
      [register.at(-1)?.hop, pfInvite?.hop],
    );
    if (!invite) {
      c.add(
        'D1.a',
        'alice receives the PF invitation',
        false,
        'no INVITE with the group Conversation-ID reached alice',
      );
      return;
    }
    const m = invite.message;
    const flags = acceptContactFlags(m);
    c.add(
      'D1.a',
      'the INVITE carries Accept-Contact +g.3gpp.icsi-ref=cpm.deferred;require;explicit',
      cpmServiceOf(m) === 'deferred' && flags.require && flags.explicit,
      m.getAll('accept-contact').join(' | '),
      [invite.hop],
    );
    c.add(
      'D1.a',
      'the INVITE names the group: Conversation-ID, Contribution-ID and Contact <conference URI>;isfocus',
      m.get('contribution-id')?.toLowerCase() === group.contributionId &&
        /isfocus/.test(m.get('contact') ?? ''),
      undefined,
      [invite.hop],
    );
    c.add(
      'D1.i',
      'the SDP offer is a=sendonly',
      sdpDirection(m) === 'sendonly',
      `direction ${sdpDirection(m)}`,
      [invite.hop],
    );
    c.add(
      'D1.v',
      'alice answers 200 OK',
      answer?.message.status === 200,
      answer ? brief(answer.hop) : 'no final response',
      [answer?.hop],
    );
    c.add(
      'D1.iii',
      'the answer is a=recvonly: alice treats the group session as inactive (receive only)',
      answer !== undefined && sdpDirection(answer.message) === 'recvonly',
      answer ? `direction ${sdpDirection(answer.message)}` : undefined,
      [answer?.hop],
    );
    const binding = msrpBindings(hops, 'alice')[0];
    c.add(
      'D1.v',
      'alice opens the MSRP session only after the ACK reached her (empty SEND binds the connection)',
      ack !== undefined && binding !== undefined && binding.index > ack.index,
      ack && binding ? `ACK #${ack.index}, first MSRP #${binding.index}` : 'ACK or MSRP binding missing',
      [ack?.hop, binding?.hop],
    );
    const sends = msrpSends(hops, { from: 'pf', to: 'alice' });
    const first = sends[0];
    c.add(
      'D1.vii',
      'the first MSRP SEND is the group state object (application/group-state-object+xml)',
      first?.contentType.startsWith('application/group-state-object+xml') ?? false,
      first ? first.contentType : 'no SEND',
      [first?.hop],
    );
    const view = await s.clientGroup('alice', group);
    c.add(
      'D1.vii',
      "alice's participant list follows the group state object",
      view !== undefined && USERS.every((u) => view.participants.some((p) => p.uri === s.aor(u))),
      view ? view.participants.map((p) => p.uri).join(', ') : 'group unknown',
    );
    const texts = sends
      .filter((x) => x.inner?.contentType.startsWith('text/plain'))
      .map((x) => x.inner!.text);
    c.add(
      'D1.i',
      'the stored messages arrive on that session, in order',
      texts.join('|') === 'deferred 1|deferred 2',
      texts.join(' | '),
      sends.map((x) => x.hop),
    );
    c.add(
      'D1.i',
      'alice received them as deferred messages',
      got.filter((g) => g.text?.startsWith('deferred ')).every((g) => g.arrivedOn === 'deferred'),
      got.map((g) => `${g.text}:${g.arrivedOn}`).join(', '),
    );
    const imdns = requestHops(hops, { method: 'MESSAGE', from: 'alice' }).filter((h) =>
      /imdn/i.test(h.message.body.toString('utf8')),
    );
    c.add(
      'D1.ii',
      'delivery notifications go back over SIP MESSAGE to the sender (R-URI = bob)',
      imdns.length >= 2 && imdns.every((h) => s.userPattern('bob').test(h.message.uri)),
      imdns.map((h) => brief(h.hop)).join('; ') || 'none',
      imdns.map((h) => h.hop),
    );
    const imdnOverMsrp = msrpSends(hops, { from: 'alice' }).filter((x) =>
      x.inner?.contentType.includes('imdn'),
    );
    c.add(
      'D1.ii',
      'no notification is sent over the deferred MSRP session',
      imdnOverMsrp.length === 0,
      undefined,
      imdnOverMsrp.map((x) => x.hop),
    );
    const subscribes = requestHops(hops, { method: 'SUBSCRIBE', from: 'alice' });
    c.add(
      'D1.vi',
      'alice does not SUBSCRIBE to the conference event package',
      subscribes.length === 0,
      subscribes.map((h) => brief(h.hop)).join('; ') || undefined,
      subscribes.map((h) => h.hop),
    );
    const bye = requestHops(hops, { method: 'BYE', to: 'alice' }).find((h) => h.message.callId === m.callId);
    c.add(
      'PF',
      'the PF ends the deferred session with BYE once the backlog is flushed',
      bye !== undefined && sends.every((x) => x.index < bye.index),
      bye ? brief(bye.hop) : 'no BYE',
      [bye?.hop],
    );
  },
);
