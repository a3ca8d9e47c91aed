import { describe, expect, it } from 'vitest';
import {
  byCallId,
  byConversation,
  byMsrpSession,
  conversationIdOf,
  groupByCallId,
  groupByConversation,
  groupByMsrpSession,
  type Hop,
  inTimeRange,
  mergeNodeTraces,
  msrpSessionIds,
  msrpSessionKey,
  sdpMsrpSessionIds,
  splitFlows,
} from './index.js';
import {
  ALICE_SESSION,
  aliceSip,
  CALL_ID,
  CONVERSATION_ID,
  cscf,
  cscfToAlice,
  PF_SESSION,
  pfSip,
  recordDeferredFlow,
  T0,
} from './test-support/deferred-flow.js';
import { sipMessage } from './test-support/messages.js';

const OTHER_CONVERSATION = 'AB12CD34EF56AB12CD34EF56AB12CD34'; // an opaque token, kept as sent (protocol profile §1)

/** The deferred flow plus alice's REGISTER, an IMDN MESSAGE in the same group, and a MESSAGE in another group. */
function timeline(): Hop[] {
  const lab = recordDeferredFlow();
  const tcp = { transport: 'tcp' } as const;
  const register = sipMessage('REGISTER sip:ims.lab SIP/2.0', [
    ['Call-ID', 'reg-1'],
    ['CSeq', '1 REGISTER'],
    ['Expires', '600'],
  ]);
  lab.send(aliceSip, cscf, register, { at: T0 - 100, ...tcp });
  lab.send(
    cscfToAlice,
    aliceSip,
    sipMessage('SIP/2.0 200 OK', [
      ['i', 'reg-1'],
      ['CSeq', '1 REGISTER'],
    ]),
    {
      at: T0 - 99,
      ...tcp,
    },
  );
  const imdn = (conversation: string, callId: string): Buffer =>
    sipMessage(
      'MESSAGE sip:bob@ims.lab SIP/2.0',
      [
        ['Call-ID', callId],
        ['CSeq', '1 MESSAGE'],
        ['Conversation-ID', conversation],
        ['Content-Type', 'message/cpim'],
      ],
      'From: <sip:alice@ims.lab>\r\nTo: <sip:bob@ims.lab>\r\n\r\nContent-Type: message/imdn+xml\r\n\r\n<imdn/>',
    );
  lab.send(aliceSip, cscf, imdn(CONVERSATION_ID, 'imdn-1'), { at: T0 + 200, ...tcp });
  lab.send(cscf, pfSip, imdn(CONVERSATION_ID, 'imdn-1'), { at: T0 + 201 });
  lab.send(aliceSip, cscf, imdn(OTHER_CONVERSATION, 'other-1'), { at: T0 + 300, ...tcp });
  return mergeNodeTraces(lab.records());
}

const labels = (hops: readonly Hop[]): string[] => hops.map((h) => `${h.from}>${h.to} ${h.label}`);

describe('grouping', () => {
  const hops = timeline();

  it('RFC 3261 §20.8: byCallId / groupByCallId collect one dialog’s requests and responses', () => {
    expect(labels(byCallId(hops, 'reg-1'))).toEqual(['alice>cscf REGISTER', 'cscf>alice 200 OK (REGISTER)']);
    const groups = groupByCallId(hops);
    expect([...groups.keys()]).toEqual(['reg-1', CALL_ID, 'imdn-1', 'other-1']);
    expect(groups.get(CALL_ID)!.map((h) => h.label)).toEqual([
      'INVITE',
      'INVITE',
      '200 OK (INVITE)',
      '200 OK (INVITE)',
      'ACK',
      'ACK',
      'BYE',
      'BYE',
      '200 OK (BYE)',
      '200 OK (BYE)',
    ]);
  });

  it('RFC 4975 §9: MSRP hops group by the session ids of To-Path and From-Path', () => {
    const send = hops.find((h) => h.label === 'MSRP SEND')!;
    expect(msrpSessionIds(send)).toEqual([PF_SESSION, ALICE_SESSION]);
    expect(msrpSessionKey(send)).toBe([ALICE_SESSION, PF_SESSION].sort().join(' '));
    expect(labels(byMsrpSession(hops, PF_SESSION))).toEqual([
      'alice>pf MSRP SEND',
      'pf>alice MSRP 200',
      'pf>alice MSRP SEND',
      'alice>pf MSRP 200',
    ]);
    expect(byMsrpSession(hops, 'nope')).toEqual([]);
    expect([...groupByMsrpSession(hops).entries()].map(([k, v]) => [k, v.length])).toEqual([
      [[ALICE_SESSION, PF_SESSION].sort().join(' '), 4],
    ]);
  });

  it('RFC 4975 §8.2: the SDP a=path of the INVITE and 200 OK names the MSRP sessions of the dialog', () => {
    const invite = hops.find((h) => h.label === 'INVITE')!;
    const ok = hops.find((h) => h.label === '200 OK (INVITE)')!;
    expect(sdpMsrpSessionIds(invite)).toEqual([PF_SESSION]);
    expect(sdpMsrpSessionIds(ok)).toEqual([ALICE_SESSION]);
  });

  it('protocol-notes §1: byConversation takes the dialog, its MSRP session and other requests of the group', () => {
    expect(conversationIdOf(hops.find((h) => h.callId === 'other-1')!)).toBe(OTHER_CONVERSATION);
    const group = byConversation(hops, ` ${CONVERSATION_ID} `);
    expect(labels(group)).toEqual([
      'pf>cscf INVITE',
      'cscf>alice INVITE',
      'alice>cscf 200 OK (INVITE)',
      'cscf>pf 200 OK (INVITE)',
      'pf>cscf ACK',
      'cscf>alice ACK',
      'alice>pf MSRP SEND',
      'pf>alice MSRP 200',
      'pf>alice MSRP SEND',
      'alice>pf MSRP 200',
      'pf>cscf BYE',
      'cscf>alice BYE',
      'alice>cscf 200 OK (BYE)',
      'cscf>pf 200 OK (BYE)',
      'alice>cscf MESSAGE',
      'cscf>pf MESSAGE',
    ]);
    const groups = groupByConversation(hops);
    expect([...groups.keys()]).toEqual([CONVERSATION_ID, OTHER_CONVERSATION]);
    expect(labels(byConversation(hops, OTHER_CONVERSATION))).toEqual(['alice>cscf MESSAGE']);
  });

  it('inTimeRange keeps hops with from ≤ time ≤ to', () => {
    expect(labels(inTimeRange(hops, { from: T0 + 20, to: T0 + 21 }))).toEqual([
      'alice>pf MSRP SEND',
      'pf>alice MSRP 200',
    ]);
    expect(inTimeRange(hops, { to: T0 - 99 })).toHaveLength(2);
    expect(inTimeRange(hops, {})).toHaveLength(hops.length);
  });

  it('splitFlows joins hops by Call-ID, Conversation-ID and MSRP session into flows', () => {
    const flows = splitFlows(hops);
    expect(flows.map((f) => [f.key, f.hops.length])).toEqual([
      ['call:reg-1', 2],
      [`conversation:${CONVERSATION_ID}`, 16],
      [`conversation:${OTHER_CONVERSATION}`, 1],
    ]);
    expect(flows[1]!.callIds).toEqual([CALL_ID, 'imdn-1']);
    expect(flows[1]!.msrpSessions).toEqual([[ALICE_SESSION, PF_SESSION].sort().join(' ')]);
  });
});
