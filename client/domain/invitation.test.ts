import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMultipart, buildResourceLists, recipientList } from '../../protocol/bodies/index.js';
import { ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import type { Direction } from '../../protocol/sdp/index.js';
import {
  CONFERENCE_URI,
  CONTRIB_ID,
  CONV_ID,
  deferredTag,
  knownGroup,
  offerSdp,
  pfInvite,
  sessionTag,
} from '../test-support/fixtures.js';
import {
  type AcceptDecision,
  decideInvitation,
  type InvitationDecision,
  type RejectDecision,
} from './index.js';
import type { InvitationPolicy, PolicySettings } from './policy.js';

const GROUPS = [knownGroup()];
const UNKNOWN_CONV = '0f0e0d0c-0b0a-4909-8807-060504030201';
const NEW_CONFERENCE = 'sip:group-new@ims.lab';

function ctx(policy: InvitationPolicy | PolicySettings = 'accept', groups = GROUPS) {
  return { groups, policy: typeof policy === 'string' ? { default: policy } : policy };
}

function accepted(d: InvitationDecision): AcceptDecision {
  if (d.action !== 'accept') throw new Error(`expected accept, got ${d.status} ${d.detail}`);
  return d;
}

function rejected(d: InvitationDecision): RejectDecision {
  if (d.action !== 'reject') throw new Error(`expected reject, got ${d.status}`);
  return d;
}

type Ids = 'known' | 'unknown' | 'absent';
type Tag = 'deferred' | 'session';
type Outcome =
  | {
      status: 200;
      kind: AcceptDecision['kind'];
      sessionKind: 'deferred' | 'active';
      answer: Direction;
      imdn: 'sip-message' | 'msrp';
    }
  | { status: 481 | 603 | 480; clause: string; leave: boolean };

const D: Outcome = {
  status: 200,
  kind: 'deferred-delivery',
  sessionKind: 'deferred',
  answer: 'recvonly',
  imdn: 'sip-message',
};
const RECONNECT_RO: Outcome = {
  status: 200,
  kind: 'reconnect',
  sessionKind: 'deferred',
  answer: 'recvonly',
  imdn: 'sip-message',
};
const RECONNECT: Outcome = {
  status: 200,
  kind: 'reconnect',
  sessionKind: 'active',
  answer: 'sendrecv',
  imdn: 'msrp',
};
const NEW_RO: Outcome = {
  status: 200,
  kind: 'new-group',
  sessionKind: 'deferred',
  answer: 'recvonly',
  imdn: 'sip-message',
};
const NEW: Outcome = {
  status: 200,
  kind: 'new-group',
  sessionKind: 'active',
  answer: 'sendrecv',
  imdn: 'msrp',
};
const R481_D: Outcome = { status: 481, clause: 'D1.iv', leave: false };
const R481_A: Outcome = { status: 481, clause: 'A2.ii', leave: false };
const R603_LEAVE: Outcome = { status: 603, clause: 'D1.v.1', leave: true };
const R603: Outcome = { status: 603, clause: 'D1.v.1', leave: false };
const R480: Outcome = { status: 480, clause: 'D1.v.2', leave: false };

// IDs × tag × SDP direction × policy. "absent" IDs come with a conference URI the client does not know.
const TABLE: [Ids, Tag, Direction, InvitationPolicy, Outcome][] = [
  ['known', 'deferred', 'sendonly', 'accept', D],
  ['known', 'deferred', 'sendonly', 'decline', R603_LEAVE],
  ['known', 'deferred', 'sendonly', 'later', R480],
  ['known', 'deferred', 'sendrecv', 'accept', D],
  ['known', 'deferred', 'sendrecv', 'decline', R603_LEAVE],
  ['known', 'deferred', 'sendrecv', 'later', R480],
  ['known', 'session', 'sendonly', 'accept', RECONNECT_RO],
  ['known', 'session', 'sendonly', 'decline', R603_LEAVE],
  ['known', 'session', 'sendonly', 'later', R480],
  ['known', 'session', 'sendrecv', 'accept', RECONNECT],
  ['known', 'session', 'sendrecv', 'decline', R603_LEAVE],
  ['known', 'session', 'sendrecv', 'later', R480],
  ['unknown', 'deferred', 'sendonly', 'accept', R481_D],
  ['unknown', 'deferred', 'sendonly', 'decline', R481_D],
  ['unknown', 'deferred', 'sendonly', 'later', R481_D],
  ['unknown', 'deferred', 'sendrecv', 'accept', R481_D],
  ['unknown', 'deferred', 'sendrecv', 'decline', R481_D],
  ['unknown', 'deferred', 'sendrecv', 'later', R481_D],
  ['unknown', 'session', 'sendonly', 'accept', R481_A],
  ['unknown', 'session', 'sendonly', 'decline', R481_A],
  ['unknown', 'session', 'sendonly', 'later', R481_A],
  ['unknown', 'session', 'sendrecv', 'accept', R481_A],
  ['unknown', 'session', 'sendrecv', 'decline', R481_A],
  ['unknown', 'session', 'sendrecv', 'later', R481_A],
  ['absent', 'deferred', 'sendonly', 'accept', R481_D],
  ['absent', 'deferred', 'sendonly', 'decline', R481_D],
  ['absent', 'deferred', 'sendonly', 'later', R481_D],
  ['absent', 'deferred', 'sendrecv', 'accept', R481_D],
  ['absent', 'deferred', 'sendrecv', 'decline', R481_D],
  ['absent', 'deferred', 'sendrecv', 'later', R481_D],
  ['absent', 'session', 'sendonly', 'accept', NEW_RO],
  ['absent', 'session', 'sendonly', 'decline', R603],
  ['absent', 'session', 'sendonly', 'later', R480],
  ['absent', 'session', 'sendrecv', 'accept', NEW],
  ['absent', 'session', 'sendrecv', 'decline', R603],
  ['absent', 'session', 'sendrecv', 'later', R480],
];

function clauseOf(tag: Tag, outcome: Outcome): string {
  if (outcome.status !== 200) return outcome.clause;
  if (outcome.kind === 'new-group') return 'A2.a';
  return tag === 'deferred' ? 'D1.v' : 'A2.i';
}

describe('decideInvitation: the decision table (protocol-notes §4 "Client decision")', () => {
  it.each(TABLE.map((row) => [clauseOf(row[1], row[4]), ...row] as const))(
    '%s: IDs %s, tag %s, a=%s, policy %s',
    (_clause, ids, tag, direction, policy, outcome) => {
      const invite = pfInvite({
        acceptContact: [tag === 'deferred' ? deferredTag() : sessionTag()],
        direction,
        ...(ids === 'unknown' ? { conversationId: UNKNOWN_CONV } : {}),
        ...(ids === 'absent'
          ? { conversationId: null, contributionId: null, conferenceUri: NEW_CONFERENCE }
          : {}),
      });
      const d = decideInvitation(invite, ctx(policy));
      expect(d.status).toBe(outcome.status);
      expect(d.service).toBe(tag);
      if (outcome.status === 200) {
        const a = accepted(d);
        expect(a.kind).toBe(outcome.kind);
        expect(a.sessionKind).toBe(outcome.sessionKind);
        expect(a.groupSessionState).toBe(outcome.sessionKind === 'active' ? 'active' : 'inactive');
        expect(a.answer).toEqual({ direction: outcome.answer, setup: 'active' });
        expect(a.imdnChannel).toBe(outcome.imdn);
        expect(a.mayReply).toBe(outcome.sessionKind === 'active');
        expect(a.subscribeConference).toBe(outcome.sessionKind === 'active');
        expect(a.isNewGroup).toBe(outcome.kind === 'new-group');
        expect(a.group.sessionState).toBe(a.groupSessionState);
        expect(a.offer.direction).toBe(direction);
        if (outcome.kind === 'new-group') expect(a.group.conferenceUri).toBe(NEW_CONFERENCE);
        else expect(a.group.key).toBe(CONV_ID);
      } else {
        const r = rejected(d);
        expect(r.clause).toBe(outcome.clause);
        expect(r.clauses).toContain(outcome.clause);
        expect(r.effects).toEqual(
          outcome.leave ? [{ type: 'leave-group', groupKey: CONV_ID, clause: 'D1.v.1' }] : [],
        );
      }
    },
  );
});

describe('decideInvitation: the deferred case (D1.*)', () => {
  it('D1.iv: unknown IDs with the deferred tag → 481 Call/Transaction Does Not Exist', () => {
    const r = rejected(decideInvitation(pfInvite({ contributionId: UNKNOWN_CONV }), ctx()));
    expect(r).toMatchObject({ status: 481, reason: 'Call/Transaction Does Not Exist', clause: 'D1.iv' });
    expect(r.clauses).toEqual(['D1.a', 'D1.iv']);
  });

  it('D1.iv: a known Conversation-ID with a different Contribution-ID is not identical → 481', () => {
    const r = rejected(decideInvitation(pfInvite({ contributionId: UNKNOWN_CONV }), ctx()));
    expect(r.status).toBe(481);
  });

  it('D1.iv: IDs are opaque tokens compared exactly: 32-hex and free-form IDs match themselves only', () => {
    const hex = '0B1D4F0E5C2A4E8A9F00112233445566';
    const free = { conversationId: 'rcs.conv-42', contributionId: "c%7E*_+`'~1" };
    for (const ids of [{ conversationId: hex, contributionId: hex.toLowerCase() }, free]) {
      const stored = knownGroup(ids);
      expect(decideInvitation(pfInvite(ids), ctx('accept', [stored])).status).toBe(200);
    }
    // Another case or the dashed form of the same hex digits is another ID: unknown → 481, never 400.
    const stored = knownGroup({ conversationId: hex, contributionId: hex });
    const dashed = '0b1d4f0e-5c2a-4e8a-9f00-112233445566';
    for (const ids of [
      { conversationId: hex.toLowerCase(), contributionId: hex },
      { conversationId: dashed, contributionId: hex },
    ]) {
      expect(rejected(decideInvitation(pfInvite(ids), ctx('accept', [stored])))).toMatchObject({
        status: 481,
        clause: 'D1.iv',
      });
    }
  });

  it('D1.iv / A2.ii: unknown IDs of any format (free-form tokens, even non-tokens) → 481, never 400', () => {
    for (const conversationId of ['not-an-id', 'rcs.conv-42', 'x'.repeat(300), 'two words']) {
      for (const acceptContact of [[deferredTag()], [sessionTag()]]) {
        const d = rejected(decideInvitation(pfInvite({ conversationId, acceptContact }), ctx()));
        expect(d.status).toBe(481);
      }
    }
  });

  it('D1.iv: a group the user left is unknown → 481', () => {
    expect(decideInvitation(pfInvite(), ctx('accept', [knownGroup({ left: true })])).status).toBe(481);
  });

  it('D1.i / D1.ii / D1.iii / D1.vi: a sendonly deferred invitation → 200, recvonly, inactive, SIP MESSAGE IMDNs, no SUBSCRIBE', () => {
    const a = accepted(decideInvitation(pfInvite(), ctx()));
    expect(a).toMatchObject({
      status: 200,
      kind: 'deferred-delivery',
      sessionKind: 'deferred',
      groupSessionState: 'inactive',
      answer: { direction: 'recvonly', setup: 'active' },
      imdnChannel: 'sip-message',
      mayReply: false,
      subscribeConference: false,
    });
    expect(a.clauses).toEqual(['D1.a', 'D1.iv', 'D1.v', 'D1.i', 'D1.ii', 'D1.iii', 'D1.vi']);
    expect(a.offer.path).toEqual(['msrp://127.0.0.1:7001/pf8s7d6f;tcp']);
    expect(a.notes).toEqual([]);
  });

  it('D1.iii: the deferred tag with a sendrecv offer stays deferred, answered recvonly (RFC 3264 §6.1)', () => {
    const a = accepted(decideInvitation(pfInvite({ direction: 'sendrecv' }), ctx()));
    expect(a.groupSessionState).toBe('inactive');
    expect(a.answer.direction).toBe('recvonly');
    expect(a.notes.join()).toMatch(/cpm\.deferred with a=sendrecv/);
  });

  it('D1.v.1: decline → 603 Decline and the effect "leave the group"', () => {
    const r = rejected(decideInvitation(pfInvite(), ctx('decline')));
    expect(r).toMatchObject({ status: 603, reason: 'Decline', clause: 'D1.v.1' });
    expect(r.effects).toEqual([{ type: 'leave-group', groupKey: CONV_ID, clause: 'D1.v.1' }]);
    expect(r.group?.key).toBe(CONV_ID);
  });

  it('D1.v.2: later → 480 Temporarily Unavailable, the group is kept', () => {
    const r = rejected(decideInvitation(pfInvite(), ctx('later')));
    expect(r).toMatchObject({
      status: 480,
      reason: 'Temporarily Unavailable',
      clause: 'D1.v.2',
      effects: [],
    });
  });

  it('D1.v: a per-group override beats the client default (both ways)', () => {
    expect(
      decideInvitation(pfInvite(), ctx({ default: 'accept', perGroup: { [CONV_ID]: 'decline' } })).status,
    ).toBe(603);
    expect(
      decideInvitation(pfInvite(), ctx({ default: 'later', perGroup: { [CONV_ID]: 'accept' } })).status,
    ).toBe(200);
    expect(
      decideInvitation(pfInvite(), ctx({ default: 'later', perGroup: { other: 'accept' } })).status,
    ).toBe(480);
  });

  it('D1.iv before D1.v: unknown IDs → 481 even when the policy is decline', () => {
    expect(decideInvitation(pfInvite({ conversationId: UNKNOWN_CONV }), ctx('decline')).status).toBe(481);
  });

  it('D1.a: IDs absent but the conference URI is known → that group (deferred delivery)', () => {
    const a = accepted(decideInvitation(pfInvite({ conversationId: null, contributionId: null }), ctx()));
    expect(a.kind).toBe('deferred-delivery');
    expect(a.group.key).toBe(CONV_ID);
    expect(a.clauses).not.toContain('D1.iv');
  });
});

describe('decideInvitation: the active case (A2.*)', () => {
  it('A2.i: a sendrecv session invitation → 200 sendrecv, active, IMDNs over MSRP, replies and SUBSCRIBE allowed', () => {
    const a = accepted(
      decideInvitation(pfInvite({ acceptContact: [sessionTag()], direction: 'sendrecv' }), ctx()),
    );
    expect(a).toMatchObject({
      kind: 'reconnect',
      sessionKind: 'active',
      groupSessionState: 'active',
      answer: { direction: 'sendrecv', setup: 'active' },
      imdnChannel: 'msrp',
      mayReply: true,
      subscribeConference: true,
    });
    expect(a.clauses).toEqual(['A2.a', 'A2.ii', 'A2.i']);
    expect(a.group.sessionState).toBe('active');
  });

  it('A2.ii: unknown IDs with the session tag → 481', () => {
    const r = rejected(
      decideInvitation(
        pfInvite({ acceptContact: [sessionTag()], direction: 'sendrecv', conversationId: UNKNOWN_CONV }),
        ctx(),
      ),
    );
    expect(r).toMatchObject({ status: 481, clause: 'A2.ii', clauses: ['A2.a', 'A2.ii'] });
  });

  it('A2.i: the session tag with a sendonly offer means inactive → handled as deferred delivery', () => {
    const a = accepted(
      decideInvitation(pfInvite({ acceptContact: [sessionTag()], direction: 'sendonly' }), ctx()),
    );
    expect(a).toMatchObject({
      sessionKind: 'deferred',
      groupSessionState: 'inactive',
      imdnChannel: 'sip-message',
    });
    expect(a.answer.direction).toBe('recvonly');
    expect(a.notes.join()).toMatch(/cpm\.session with a=sendonly/);
  });

  it('A2.a / 7.3.2: unknown IDs with Referred-By → a new group invitation with the recipient list', () => {
    const sdp = offerSdp('sendrecv');
    const list = buildResourceLists(
      recipientList([{ uri: 'sip:bob@ims.lab', displayName: 'Bob' }, { uri: 'sip:carol@ims.lab' }]),
    );
    const mp = buildMultipart([
      { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: Buffer.from(sdp) },
      {
        headers: [
          { name: 'Content-Type', value: 'application/resource-lists+xml' },
          { name: 'Content-Disposition', value: 'recipient-list' },
        ],
        body: list,
      },
    ]);
    const invite = pfInvite({
      acceptContact: [sessionTag()],
      conversationId: UNKNOWN_CONV,
      conferenceUri: NEW_CONFERENCE,
      extraHeaders: ['Referred-By: <sip:bob@ims.lab>'],
      body: { contentType: mp.contentType, text: mp.body.toString('utf8') },
    });
    const a = accepted(decideInvitation(invite, ctx()));
    expect(a.kind).toBe('new-group');
    expect(a.isNewGroup).toBe(true);
    expect(a.group).toEqual({
      key: UNKNOWN_CONV,
      conversationId: UNKNOWN_CONV,
      contributionId: CONTRIB_ID,
      conferenceUri: NEW_CONFERENCE,
      subject: 'Team',
      participants: [{ uri: 'sip:bob@ims.lab', name: 'Bob' }, { uri: 'sip:carol@ims.lab' }],
      sessionState: 'active',
      left: false,
    });
    expect(a.sessionKind).toBe('active');
  });

  it('A2.ii: Referred-By does not turn an unknown deferred invitation into a new group → 481', () => {
    const invite = pfInvite({
      conversationId: UNKNOWN_CONV,
      extraHeaders: ['Referred-By: <sip:bob@ims.lab>'],
    });
    expect(decideInvitation(invite, ctx()).status).toBe(481);
  });
});

describe('decideInvitation: feature tags (protocol-notes §2)', () => {
  it('D1.a: the literal (unencoded) URN is accepted', () => {
    const a = accepted(
      decideInvitation(pfInvite({ acceptContact: [deferredTag(ICSI_CPM_DEFERRED)] }), ctx()),
    );
    expect(a.service).toBe('deferred');
  });

  it('A2.a: the tag is compared case-insensitively, encoded or literal', () => {
    const upper = 'URN%3aURN-7%3A3GPP-SERVICE.IMS.ICSI.OMA.CPM.SESSION';
    for (const v of [upper, ICSI_CPM_SESSION.toUpperCase()]) {
      const a = accepted(
        decideInvitation(pfInvite({ acceptContact: [sessionTag(v)], direction: 'sendrecv' }), ctx()),
      );
      expect(a.service).toBe('session');
    }
  });

  it('D1.a: the tag among several ICSIs in one quoted parameter', () => {
    const v = `urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred`;
    expect(accepted(decideInvitation(pfInvite({ acceptContact: [deferredTag(v)] }), ctx())).service).toBe(
      'deferred',
    );
  });

  it('D1.a / A2.a: neither tag → 488; P-Asserted-Service is the fallback', () => {
    const none = pfInvite({
      acceptContact: ['*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg"'],
    });
    expect(rejected(decideInvitation(none, ctx()))).toMatchObject({ status: 488, clauses: ['D1.a', 'A2.a'] });
    const pas = pfInvite({ acceptContact: [], extraHeaders: [`P-Asserted-Service: ${ICSI_CPM_DEFERRED}`] });
    const a = accepted(decideInvitation(pas, ctx()));
    expect(a.service).toBe('deferred');
    expect(a.notes.join()).toMatch(/P-Asserted-Service/);
  });

  it('D1.iii / A2.i: both tags → the SDP direction decides', () => {
    const both = `${ENCODED('deferred')},${ENCODED('session')}`;
    expect(
      decideInvitation(pfInvite({ acceptContact: [deferredTag(both)], direction: 'sendrecv' }), ctx())
        .service,
    ).toBe('session');
    expect(
      decideInvitation(pfInvite({ acceptContact: [deferredTag(both)], direction: 'sendonly' }), ctx())
        .service,
    ).toBe('deferred');
  });

  it('RFC 3841 §9.2: a malformed Accept-Contact → 400', () => {
    expect(decideInvitation(pfInvite({ acceptContact: ['sip:x@y'] }), ctx()).status).toBe(400);
  });
});

function ENCODED(which: 'deferred' | 'session'): string {
  return `urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.${which}`;
}

describe('decideInvitation: malformed input and unusable offers', () => {
  it('7.3.2: Contribution-ID only → an ordinary invitation, matched by the Contribution-ID, never 400', () => {
    // The conference URI is unknown: only the Contribution-ID can name the group.
    const other = 'sip:group-elsewhere@ims.lab';
    const a = accepted(decideInvitation(pfInvite({ conversationId: null, conferenceUri: other }), ctx()));
    expect(a).toMatchObject({ kind: 'deferred-delivery', isNewGroup: false });
    expect(a.group.key).toBe(CONV_ID);
    expect(a.clauses).not.toContain('D1.iv');
  });

  it('7.3.2: Conversation-ID only → matched by the Conversation-ID; session tag → reconnect', () => {
    const other = 'sip:group-elsewhere@ims.lab';
    const d = accepted(decideInvitation(pfInvite({ contributionId: null, conferenceUri: other }), ctx()));
    expect(d).toMatchObject({ kind: 'deferred-delivery', isNewGroup: false });
    const s = accepted(
      decideInvitation(
        pfInvite({ contributionId: null, direction: 'sendrecv', acceptContact: [sessionTag()] }),
        ctx(),
      ),
    );
    expect(s).toMatchObject({ kind: 'reconnect', sessionKind: 'active' });
  });

  it('7.3.2: one unknown ID → matched by the conference URI; nothing matches → 481 (deferred) or new group (session)', () => {
    const byUri = accepted(
      decideInvitation(pfInvite({ conversationId: null, contributionId: 'zz9' }), ctx()),
    );
    expect(byUri.group.key).toBe(CONV_ID);
    const unknown = { conversationId: null, contributionId: 'zz9', conferenceUri: NEW_CONFERENCE } as const;
    expect(rejected(decideInvitation(pfInvite(unknown), ctx())).status).toBe(481);
    const fresh = accepted(
      decideInvitation(pfInvite({ ...unknown, direction: 'sendrecv', acceptContact: [sessionTag()] }), ctx()),
    );
    expect(fresh).toMatchObject({ kind: 'new-group', isNewGroup: true });
    expect(fresh.group).toMatchObject({ contributionId: 'zz9', conferenceUri: NEW_CONFERENCE });
  });

  it('7.3.2: neither ID → matched by the conference URI, never 400', () => {
    const a = accepted(decideInvitation(pfInvite({ conversationId: null, contributionId: null }), ctx()));
    expect(a.group.key).toBe(CONV_ID);
  });

  it('RFC 3264 §6.1: a recvonly or inactive offer gives nothing to receive on → 488', () => {
    expect(decideInvitation(pfInvite({ direction: 'recvonly' }), ctx()).status).toBe(488);
    expect(decideInvitation(pfInvite({ direction: 'inactive' }), ctx()).status).toBe(488);
  });

  it('RFC 4145 §4.1 / RFC 6135 §4.2: any a=setup is served: active to actpass/passive, passive to active or none', () => {
    const setupOf = (setup: 'actpass' | 'active' | 'passive' | null) =>
      accepted(decideInvitation(pfInvite({ setup }), ctx())).answer.setup;
    expect(setupOf('actpass')).toBe('active');
    expect(setupOf('passive')).toBe('active');
    expect(setupOf('active')).toBe('passive');
    expect(setupOf(null)).toBe('passive');
  });

  it('RFC 3261 §21.4.26: no SDP body → 488; RFC 3261 §21.4.1: garbage SDP → 400', () => {
    expect(decideInvitation(pfInvite({ body: null }), ctx()).status).toBe(488);
    expect(
      decideInvitation(pfInvite({ body: { contentType: 'application/sdp', text: 'hello' } }), ctx()).status,
    ).toBe(400);
  });

  it('D1.v.2: the policy answer does not depend on the SDP (480 even for an unusable offer)', () => {
    expect(decideInvitation(pfInvite({ direction: 'inactive' }), ctx('later')).status).toBe(480);
  });

  it('RFC 3261 §13.3.1: not an INVITE → 400', () => {
    expect(decideInvitation(pfInvite({ method: 'MESSAGE' }), ctx()).status).toBe(400);
  });

  it('D1.a: the decision is pure (the known groups are not modified)', () => {
    const groups = [knownGroup()];
    const before = structuredClone(groups);
    decideInvitation(
      pfInvite({ acceptContact: [sessionTag()], direction: 'sendrecv' }),
      ctx('accept', groups),
    );
    decideInvitation(pfInvite(), ctx('decline', groups));
    expect(groups).toEqual(before);
  });

  it('D1.a: never throws, whatever the CPM header values (property)', () => {
    const header = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(
        header,
        header,
        header,
        fc.constantFrom<Direction>('sendonly', 'sendrecv', 'recvonly'),
        (ac, conv, contrib, dir) => {
          let invite: ReturnType<typeof pfInvite>;
          try {
            invite = pfInvite({
              acceptContact: [ac],
              conversationId: conv.trim() === '' ? null : conv,
              contributionId: contrib.trim() === '' ? null : contrib,
              direction: dir,
            });
          } catch {
            return; // the SIP parser refused the request: nothing to decide
          }
          const d = decideInvitation(invite, ctx());
          expect([200, 400, 480, 481, 488, 603]).toContain(d.status);
        },
      ),
    );
  });

  it('D1.iv: the fixtures are what the table assumes (known group at the fixture conference URI)', () => {
    expect(GROUPS[0]).toMatchObject({
      conversationId: CONV_ID,
      contributionId: CONTRIB_ID,
      conferenceUri: CONFERENCE_URI,
    });
  });
});
