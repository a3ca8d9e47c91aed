// Scenario imdn-to-offline-sender: A delivery notification for a sender who has gone offline.
import { waitUntil } from '../lab-client.js';
import { USERS, scenario, cpimMessageId } from '../scenario.js';
import { brief, groupHops, msrpSends, requestHops, responsesTo } from '../wire.js';

export const imdnToOfflineSender = scenario(
  'imdn-to-offline-sender',
  'A delivery notification for a sender who has gone offline',
  ['D1.ii'],
  "bob writes while alice is offline, then bob goes offline too. alice's deferred delivery makes her send the delivery notification by SIP MESSAGE to bob (D1.ii); the CSCF, finding bob unregistered, hands it to the PF, which stores it and delivers it when bob returns (protocol-notes §6: no notification is ever dropped).",
  async (s, c, readHops) => {
    const group = await s.newGroup('imdn-offline', USERS);
    await s.backlogThenReturn('alice', group, 'bob', ['did you get this?'], () =>
      s.offline('bob', 'deregister'),
    );
    await s.waitReceived('alice', group, ['did you get this?']);
    await s.waitStored('bob', group, 1);
    await s.online('bob');
    const notified = await waitUntil("bob's delivery notification from alice", async () => {
      const all = await s.lab
        .node(s.user('bob'))
        .get<Array<{ groupKey: string; from: string; notification: { type?: string; status?: string } }>>(
          '/notifications',
        );
      return all.find((n) => n.groupKey === group.conversationId && n.from === s.aor('alice'));
    });
    const all = await readHops();
    const hops = groupHops(all, group);
    const fromAlice = requestHops(hops, { method: 'MESSAGE', from: 'alice' }).find((h) =>
      s.userPattern('bob').test(h.message.uri),
    );
    const toPf = requestHops(hops, { method: 'MESSAGE', from: 'cscf', to: 'pf' }).find((h) =>
      s.userPattern('bob').test(h.message.uri),
    );
    const stored = toPf ? responsesTo(hops, toPf.message, 'pf')[0] : undefined;
    c.add(
      'D1.ii',
      "alice's notification goes out by SIP MESSAGE to the original sender (R-URI = bob)",
      fromAlice !== undefined,
      fromAlice ? brief(fromAlice.hop) : 'none',
      [fromAlice?.hop],
    );
    c.add(
      'D1.ii',
      'bob is offline: the CSCF hands the MESSAGE to the PF, which stores it (202)',
      toPf !== undefined && stored?.message.status === 202,
      stored ? brief(stored.hop) : 'not routed to the PF',
      [toPf?.hop, stored?.hop],
    );
    // The stored notification is the one alice sent (same imdn.Message-ID), delivered after it was stored;
    // carol's live notification of the same message must not stand in for it.
    const storedId = fromAlice ? cpimMessageId(fromAlice.message.body) : undefined;
    const delivered = msrpSends(hops, { from: 'pf', to: 'bob' }).find(
      (x) =>
        storedId !== undefined &&
        x.frame.body !== undefined &&
        cpimMessageId(x.frame.body) === storedId &&
        (toPf === undefined || x.index > toPf.index),
    );
    c.add(
      'D1.ii',
      "when bob returns the PF delivers alice's stored notification to him (same imdn.Message-ID)",
      delivered !== undefined,
      delivered ? `${brief(delivered.hop)} (imdn.Message-ID ${storedId})` : 'not delivered',
      [toPf?.hop, delivered?.hop],
    );
    c.add(
      'D1.ii',
      "bob's client records alice's delivery notification",
      notified !== undefined,
      JSON.stringify(notified?.notification),
    );
  },
);
