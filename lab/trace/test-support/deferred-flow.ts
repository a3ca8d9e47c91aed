// Test support: the deferred-delivery flow of protocol-notes §4 as the lab's nodes record it — the PF
// invites a returning alice (cpm.deferred, sendonly) through the CSCF, alice binds the MSRP connection
// with an empty SEND, the PF delivers one stored message (CPIM) and ends the session with BYE.

import {
  cpimText,
  msrpRequest,
  msrpResponse,
  msrpSdp,
  type Party,
  RecordedLab,
  sipMessage,
} from './messages.js';

export const CONVERSATION_ID = '6f1c2f2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f';
export const CALL_ID = 'd1-5f3a9c@127.0.0.1';
export const PF_SESSION = 'pfS3ss10n';
export const ALICE_SESSION = 'al1ceS3ss';
export const T0 = Date.UTC(2026, 10, 24, 10, 15, 0);

export const cscf: Party = { node: 'cscf', address: { address: '127.0.0.1', port: 5060 } };
export const pfSip: Party = { node: 'pf', address: { address: '127.0.0.1', port: 5070 } };
export const pfMsrp: Party = { node: 'pf', address: { address: '127.0.0.1', port: 7394 } };
export const cscfToAlice: Party = { node: 'cscf', address: { address: '127.0.0.1', port: 5060 } };
export const aliceSip: Party = { node: 'alice', address: { address: '127.0.0.1', port: 40_001 } };
export const aliceMsrp: Party = { node: 'alice', address: { address: '127.0.0.1', port: 40_002 } };

const PF_PATH = `msrp://127.0.0.1:7394/${PF_SESSION};tcp`;
const ALICE_PATH = `msrp://127.0.0.1:40002/${ALICE_SESSION};tcp`;
const GROUP = 'sip:group-7@ims.lab';
const DEFERRED = 'urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred';

function dialogHeaders(cseq: string, toTag = true): [string, string][] {
  return [
    ['From', `<${GROUP}>;tag=pf1`],
    ['To', `<sip:alice@ims.lab>${toTag ? ';tag=al1' : ''}`],
    ['Call-ID', CALL_ID],
    ['CSeq', cseq],
    ['Max-Forwards', '70'],
  ];
}

const VIA_PF: [string, string] = ['Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKpf1'];
const VIA_CSCF: [string, string] = ['Via', 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKcs1'];

export function inviteFromPf(): Buffer {
  return sipMessage(
    'INVITE sip:alice@ims.lab SIP/2.0',
    [
      VIA_PF,
      ...dialogHeaders('1 INVITE', false),
      ['Contact', `<${GROUP}>;isfocus`],
      [
        'Accept-Contact',
        '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred";require;explicit',
      ],
      ['P-Asserted-Service', DEFERRED],
      ['Conversation-ID', CONVERSATION_ID],
      ['Contribution-ID', '0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d'],
      ['Subject', 'Team; #7 <lunch>'],
      ['Content-Type', 'application/sdp'],
    ],
    msrpSdp('127.0.0.1', 7394, PF_SESSION, 'sendonly', 'actpass'),
  );
}

/** The same INVITE after the CSCF (Record-Route, its Via on top), sent over alice's TCP flow. */
export function inviteToAlice(): Buffer {
  const pf = inviteFromPf().toString('utf8');
  return Buffer.from(
    pf
      .replace('INVITE sip:alice@ims.lab', 'INVITE sip:alice@127.0.0.1:40001;transport=tcp')
      .replace('Via: ', `Record-Route: <sip:127.0.0.1:5060;lr>\r\n${VIA_CSCF[0]}: ${VIA_CSCF[1]}\r\nVia: `)
      .replace('Max-Forwards: 70', 'Max-Forwards: 69'),
    'utf8',
  );
}

export function okToInvite(viaCscf: boolean): Buffer {
  return sipMessage(
    'SIP/2.0 200 OK',
    [
      ...(viaCscf ? [VIA_CSCF] : []),
      VIA_PF,
      ['Record-Route', '<sip:127.0.0.1:5060;lr>'],
      ...dialogHeaders('1 INVITE'),
      ['Contact', '<sip:alice@127.0.0.1:40001;transport=tcp>'],
      ['Content-Type', 'application/sdp'],
    ],
    msrpSdp('127.0.0.1', 40_002, ALICE_SESSION, 'recvonly', 'active'),
  );
}

function inDialogRequest(method: string, cseq: number, ruri: string, via: [string, string][]): Buffer {
  return sipMessage(`${method} ${ruri} SIP/2.0`, [...via, ...dialogHeaders(`${cseq} ${method}`)]);
}

function okTo(method: string, cseq: number, via: [string, string][]): Buffer {
  return sipMessage('SIP/2.0 200 OK', [...via, ...dialogHeaders(`${cseq} ${method}`)]);
}

export function bindingSend(): Buffer {
  return msrpRequest('a1b2c3d4', 'SEND', PF_PATH, ALICE_PATH, [
    ['Message-ID', 'bind-1'],
    ['Byte-Range', '1-0/0'],
  ]);
}

export function deliverySend(): Buffer {
  const body = cpimText('sip:bob@ims.lab', GROUP, '0b1d4f0e5c2a4e8a', 'Hello team');
  return msrpRequest(
    'f9e8d7c6',
    'SEND',
    ALICE_PATH,
    PF_PATH,
    [
      ['Message-ID', 'pf-msg-1'],
      ['Byte-Range', `1-${Buffer.byteLength(body)}/${Buffer.byteLength(body)}`],
      ['Failure-Report', 'yes'],
    ],
    { type: 'message/cpim', content: body },
  );
}

export interface FlowOptions {
  /** Node clock offsets (ms). */
  skew?: Record<string, number>;
  /** Leave the PF's records out (e.g. SIPp plays the PF). */
  pfUnrecorded?: boolean;
  /** Leave alice's records out (e.g. she is an implementation under test). */
  aliceUnrecorded?: boolean;
  /** Seconds between alice's 200 OK to the binding SEND and the delivery. */
  deliveryDelayMs?: number;
}

/** Records the flow; returns the lab (records per node). Times: T0 + a few ms per step. */
export function recordDeferredFlow(options: FlowOptions = {}): RecordedLab {
  const lab = new RecordedLab(options.skew ?? {});
  const pf = options.pfUnrecorded ? { recordOut: false } : {};
  const pfIn = options.pfUnrecorded ? { recordIn: false } : {};
  const alice = options.aliceUnrecorded ? { recordOut: false } : {};
  const aliceIn = options.aliceUnrecorded ? { recordIn: false } : {};
  const tcp = { transport: 'tcp' } as const;
  const msrp = { protocol: 'msrp', transport: 'tcp' } as const;
  lab.send(pfSip, cscf, inviteFromPf(), { at: T0, ...pf });
  lab.send(cscfToAlice, aliceSip, inviteToAlice(), { at: T0 + 2, ...tcp, ...aliceIn });
  lab.send(aliceSip, cscfToAlice, okToInvite(true), { at: T0 + 10, ...tcp, ...alice });
  lab.send(cscf, pfSip, okToInvite(false), { at: T0 + 11, ...pfIn });
  lab.send(pfSip, cscf, inDialogRequest('ACK', 1, 'sip:alice@127.0.0.1:40001;transport=tcp', [VIA_PF]), {
    at: T0 + 12,
    ...pf,
  });
  lab.send(
    cscfToAlice,
    aliceSip,
    inDialogRequest('ACK', 1, 'sip:alice@127.0.0.1:40001;transport=tcp', [VIA_CSCF, VIA_PF]),
    { at: T0 + 13, ...tcp, ...aliceIn },
  );
  lab.send(aliceMsrp, pfMsrp, bindingSend(), { at: T0 + 20, ...msrp, ...pfIn, ...alice });
  lab.send(pfMsrp, aliceMsrp, msrpResponse('a1b2c3d4', 200, 'OK', ALICE_PATH, PF_PATH), {
    at: T0 + 21,
    ...msrp,
    ...pf,
    ...aliceIn,
  });
  const delivery = T0 + 22 + (options.deliveryDelayMs ?? 0);
  lab.send(pfMsrp, aliceMsrp, deliverySend(), { at: delivery, ...msrp, ...pf, ...aliceIn });
  lab.send(aliceMsrp, pfMsrp, msrpResponse('f9e8d7c6', 200, 'OK', PF_PATH, ALICE_PATH), {
    at: delivery + 1,
    ...msrp,
    ...pfIn,
    ...alice,
  });
  lab.send(pfSip, cscf, inDialogRequest('BYE', 2, 'sip:alice@127.0.0.1:40001;transport=tcp', [VIA_PF]), {
    at: delivery + 5,
    ...pf,
  });
  lab.send(
    cscfToAlice,
    aliceSip,
    inDialogRequest('BYE', 2, 'sip:alice@127.0.0.1:40001;transport=tcp', [VIA_CSCF, VIA_PF]),
    { at: delivery + 6, ...tcp, ...aliceIn },
  );
  lab.send(aliceSip, cscfToAlice, okTo('BYE', 2, [VIA_CSCF, VIA_PF]), {
    at: delivery + 7,
    ...tcp,
    ...alice,
  });
  lab.send(cscf, pfSip, okTo('BYE', 2, [VIA_PF]), { at: delivery + 8, ...pfIn });
  return lab;
}
