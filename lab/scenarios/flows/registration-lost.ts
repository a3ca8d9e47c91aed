// Scenarios drop-and-return and network-deregistration: alice's registration ends without her de-registering
// (her flow drops, or the network de-registers her); the PF hears it from the CSCF and delivers on her return.
import { USERS, type Body, scenario, invitationTo, waitFor } from '../scenario.js';
import type { Steps } from '../steps.js';
import { brief, cpmServiceOf, groupHops, msrpSends, requestHops } from '../wire.js';

/**
 * The PF clause when alice's registration ends without her de-registering: `goAway` ends it (her flow drops,
 * or the network de-registers her); the CSCF tells the PF (third-party REGISTER Expires: 0); bob's message is
 * stored; on her return the PF invites her and delivers it once.
 */
function registrationLost(goAway: (s: Steps) => Promise<void>, how: string): Body {
  return async (s, c, readHops) => {
    const group = await s.newGroup('lost', USERS);
    await goAway(s);
    await waitFor(
      s,
      'the PF to see alice offline',
      async () =>
        !(await s.lab.node('pf').get<{ online: string[] }>('/state')).online.includes(s.aor('alice')),
    );
    await s.send('bob', group, 'lost you there');
    await s.waitStored('alice', group, 1);
    await s.waitSent('bob', group, ['lost you there']);
    await s.endSession(group);
    await s.online('alice');
    await s.waitReceived('alice', group, ['lost you there']);
    const all = await readHops();
    const hops = groupHops(all, group);
    const gone = requestHops(all, { method: 'REGISTER', from: 'cscf', to: 'pf' }).find(
      (h) => s.userPattern('alice').test(h.message.get('to') ?? '') && h.message.get('expires') === '0',
    );
    const aliceDereg = requestHops(all, { method: 'REGISTER', from: 'alice' }).find(
      (h) => h.message.get('expires') === '0',
    );
    c.add(
      'PF',
      `the CSCF tells the PF alice is gone (third-party REGISTER Expires: 0) ${how}, though alice never de-registered`,
      gone !== undefined && aliceDereg === undefined,
      gone ? brief(gone.hop) : 'none',
      [gone?.hop],
    );
    const { invite, answer } = invitationTo(hops, 'alice', group);
    c.add(
      'PF',
      'on return the PF invites alice (cpm.deferred) and she accepts',
      invite !== undefined && cpmServiceOf(invite.message) === 'deferred' && answer?.message.status === 200,
      invite ? brief(invite.hop) : 'no invitation',
      [invite?.hop, answer?.hop],
    );
    const texts = msrpSends(hops, { from: 'pf', to: 'alice' }).filter(
      (x) => x.inner?.text === 'lost you there',
    );
    c.add(
      'PF',
      'the stored message is delivered exactly once',
      texts.length === 1,
      `${texts.length} SEND(s)`,
      texts.map((x) => x.hop),
    );
  };
}

export const dropAndReturn = scenario(
  'drop-and-return',
  'Coverage lost without de-registration, then return',
  ['PF'],
  "alice's phone loses coverage: her TCP flow closes without a word. The CSCF notices, marks her unreachable and tells the PF (third-party REGISTER Expires: 0); bob's message is stored; when alice registers again it is delivered.",
  registrationLost((s) => s.offline('alice', 'drop'), 'when her flow closes'),
);

export const networkDeregistration = scenario(
  'network-deregistration',
  'The network de-registers a user, then she returns',
  ['PF'],
  "The CSCF ends alice's registration on its own (a network-initiated de-registration, injected through the lab CSCF's control API): it tells the PF (third-party REGISTER Expires: 0); bob's message is stored; when alice registers again it is delivered. Needs the lab's own CSCF.",
  registrationLost(async (s) => {
    s.say("the network de-registers alice (the CSCF's control API)");
    await s.lab.node('cscf').post(`/users/${encodeURIComponent(s.user('alice'))}/deregister`);
  }, 'on the network-initiated de-registration'),
  ['cscf-control'],
);
