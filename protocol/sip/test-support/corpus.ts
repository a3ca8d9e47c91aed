// Realistic IMS/CPM messages as they appear in the lab (protocol-notes §2–§7). Each must round-trip exactly.

const crlf = (lines: string[], body = ''): Buffer => {
  const head = lines.join('\r\n') + '\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body, 'utf8')]);
};
const withLength = (lines: string[], body: string): Buffer =>
  crlf([...lines, `Content-Length: ${Buffer.byteLength(body)}`], body);

const SDP_OFFER = [
  'v=0',
  'o=- 3960000000 3960000000 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=message 7394 TCP/MSRP *',
  'a=path:msrp://127.0.0.1:7394/s8a7d6f5e4c3b2a1;tcp',
  'a=setup:actpass',
  'a=accept-types:message/cpim application/group-state-object+xml',
  'a=accept-wrapped-types:text/plain message/imdn+xml',
  'a=sendonly',
  '',
].join('\r\n');

const RESOURCE_LISTS = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">',
  '<list>',
  '<entry uri="sip:bob@ims.lab" cp:copyControl="to"/>',
  '<entry uri="sip:carol@ims.lab" cp:copyControl="to"/>',
  '</list>',
  '</resource-lists>',
].join('\r\n');

const MULTIPART = [
  '--boundary1',
  'Content-Type: application/sdp',
  '',
  SDP_OFFER.replace('a=sendonly', 'a=sendrecv'),
  '--boundary1',
  'Content-Type: application/resource-lists+xml',
  'Content-Disposition: recipient-list',
  '',
  RESOURCE_LISTS,
  '--boundary1--',
  '',
].join('\r\n');

const CPIM = [
  'From: <sip:bob@ims.lab>',
  'To: <sip:alice@ims.lab>',
  'NS: imdn <urn:ietf:params:imdn>',
  'imdn.Message-ID: 0b1d4f0e5c2a4e8a',
  'DateTime: 2026-11-24T10:15:00.000Z',
  'imdn.Disposition-Notification: positive-delivery, display',
  '',
  'Content-Type: text/plain;charset=utf-8',
  '',
  'Hello team — ünïcødé ✓',
].join('\r\n');

const CONFERENCE_INFO = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  '<conference-info xmlns="urn:ietf:params:xml:ns:conference-info" entity="sip:group-7@ims.lab" state="full" version="1">',
  '<users>',
  '<user entity="sip:alice@ims.lab" state="full"><endpoint entity="sip:alice@ims.lab"><status>connected</status></endpoint></user>',
  '</users>',
  '</conference-info>',
].join('\r\n');

export const CORPUS: Record<string, Buffer> = {
  'REGISTER with CPM feature tags and instance-id': withLength(
    [
      'REGISTER sip:ims.lab SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:50712;branch=z9hG4bK776asdhds;rport',
      'Max-Forwards: 70',
      'From: <sip:alice@ims.lab>;tag=a73kszlfl',
      'To: <sip:alice@ims.lab>',
      'Call-ID: 1j9FpLxk3uxtm8tn@127.0.0.1',
      'CSeq: 1 REGISTER',
      'Contact: <sip:alice@127.0.0.1:50712;transport=tcp>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg";+sip.instance="<urn:uuid:8e3c8b2e-1c2a-4d6f-9a8b-7c6d5e4f3a2b>";reg-id=1;expires=600',
      'Supported: path, gruu, outbound',
      'User-Agent: cpm-lab/0.1',
    ],
    '',
  ),
  '200 OK to REGISTER with the binding': withLength(
    [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/TCP 127.0.0.1:50712;branch=z9hG4bK776asdhds;rport=50712;received=127.0.0.1',
      'From: <sip:alice@ims.lab>;tag=a73kszlfl',
      'To: <sip:alice@ims.lab>;tag=37GkEhwl6',
      'Call-ID: 1j9FpLxk3uxtm8tn@127.0.0.1',
      'CSeq: 1 REGISTER',
      'Contact: <sip:alice@127.0.0.1:50712;transport=tcp>;expires=600;+sip.instance="<urn:uuid:8e3c8b2e-1c2a-4d6f-9a8b-7c6d5e4f3a2b>"',
      'Date: Tue, 24 Nov 2026 10:15:00 GMT',
    ],
    '',
  ),
  'deferred INVITE from the PF (protocol-notes §4)': withLength(
    [
      'INVITE sip:alice@ims.lab SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKpf1a2b3c',
      'Max-Forwards: 70',
      'From: <sip:group-7@ims.lab>;tag=pf7731',
      'To: <sip:alice@ims.lab>',
      'Call-ID: deferred-4f1c@127.0.0.1',
      'CSeq: 1 INVITE',
      'Contact: <sip:group-7@ims.lab>;isfocus',
      'Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred";require;explicit',
      'P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.deferred',
      'Conversation-ID: 5f0b5e3a-8d0c-4f63-9c59-1d7b3a0e2c11',
      'Contribution-ID: 0a6f3d2c-7b1e-4c5d-8e9f-a0b1c2d3e4f5',
      'Subject: Team chat',
      'Content-Type: application/sdp',
    ],
    SDP_OFFER,
  ),
  'group create INVITE with multipart SDP + resource-lists': withLength(
    [
      'INVITE sip:conference-factory@ims.lab SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKmp17a;rport',
      'Max-Forwards: 70',
      'Route: <sip:127.0.0.1:5060;lr>',
      'From: "Alice" <sip:alice@ims.lab>;tag=9fxced76sl',
      'To: <sip:conference-factory@ims.lab>',
      'Call-ID: 3848276298220188511@127.0.0.1',
      'CSeq: 1 INVITE',
      'Contact: <sip:alice@127.0.0.1:5062>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"',
      'Require: recipient-list-invite',
      'Accept-Contact: *;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"',
      'Conversation-ID: 5f0b5e3a-8d0c-4f63-9c59-1d7b3a0e2c11',
      'Contribution-ID: 0a6f3d2c-7b1e-4c5d-8e9f-a0b1c2d3e4f5',
      'Subject: Team chat',
      'Content-Type: multipart/mixed;boundary=boundary1',
    ],
    MULTIPART,
  ),
  'MESSAGE with CPIM-wrapped text (pager mode)': withLength(
    [
      'MESSAGE sip:alice@ims.lab SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKm55e1',
      'Max-Forwards: 69',
      'From: <sip:bob@ims.lab>;tag=49583',
      'To: <sip:alice@ims.lab>',
      'Call-ID: asd88asd77a@127.0.0.1',
      'CSeq: 1 MESSAGE',
      'P-Asserted-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg',
      'Conversation-ID: 5f0b5e3a-8d0c-4f63-9c59-1d7b3a0e2c11',
      'Content-Type: message/cpim',
    ],
    CPIM,
  ),
  'NOTIFY with conference-info': withLength(
    [
      'NOTIFY sip:alice@127.0.0.1:50712;transport=tcp SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKnotify1',
      'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKnotify0;received=127.0.0.1',
      'Max-Forwards: 69',
      'Route: <sip:127.0.0.1:5060;transport=tcp;lr>',
      'From: <sip:group-7@ims.lab>;tag=pf7731',
      'To: <sip:alice@ims.lab>;tag=a1',
      'Call-ID: sub-9@127.0.0.1',
      'CSeq: 2 NOTIFY',
      'Event: conference',
      'Subscription-State: active;expires=3600',
      'Content-Type: application/conference-info+xml',
    ],
    CONFERENCE_INFO,
  ),
  '180 Ringing with Record-Route and compact headers': withLength(
    [
      'SIP/2.0 180 Ringing',
      'v: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK2d4790.1, SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKnashds8;received=127.0.0.1;rport=5062',
      'Record-Route: <sip:127.0.0.1:5060;lr>',
      'f: <sip:bob@ims.lab>;tag=a6c85cf',
      't: <sip:alice@ims.lab>;tag=1928301774',
      'i: a84b4c76e66710',
      'CSeq: 314159 INVITE',
      'm: <sip:alice@127.0.0.1:5064>',
    ],
    '',
  ),
  '481 to an INVITE for an unknown group (D1.iv)': withLength(
    [
      'SIP/2.0 481 Call/Transaction Does Not Exist',
      'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKpf1a2b3c',
      'From: <sip:group-7@ims.lab>;tag=pf7731',
      'To: <sip:alice@ims.lab>;tag=cl99',
      'Call-ID: deferred-4f1c@127.0.0.1',
      'CSeq: 1 INVITE',
    ],
    '',
  ),
  'SUBSCRIBE to the conference event package': withLength(
    [
      'SUBSCRIBE sip:group-7@ims.lab SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:50712;branch=z9hG4bKsub77;rport',
      'Max-Forwards: 70',
      'From: <sip:alice@ims.lab>;tag=s1',
      'To: <sip:group-7@ims.lab>',
      'Call-ID: sub-9@127.0.0.1',
      'CSeq: 1 SUBSCRIBE',
      'Event: conference',
      'Accept: application/conference-info+xml',
      'Expires: 3600',
      'Contact: <sip:alice@127.0.0.1:50712;transport=tcp>',
    ],
    '',
  ),
  'BYE with Reason (group ended)': withLength(
    [
      'BYE sip:alice@127.0.0.1:50712;transport=tcp SIP/2.0',
      'Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKbye1',
      'Max-Forwards: 70',
      'Route: <sip:127.0.0.1:5060;transport=tcp;lr>',
      'From: <sip:group-7@ims.lab>;tag=pf7731',
      'To: <sip:alice@ims.lab>;tag=cl99',
      'Call-ID: deferred-4f1c@127.0.0.1',
      'CSeq: 2 BYE',
      'Reason: SIP;cause=410;text="Gone"',
    ],
    '',
  ),
  'tel URI request with digest Authorization': withLength(
    [
      'INVITE tel:+15551234567;phone-context=ims.lab SIP/2.0',
      'Via: SIP/2.0/UDP [::1]:5062;branch=z9hG4bKv6a1',
      'Max-Forwards: 70',
      'From: <sip:alice@ims.lab>;tag=t1',
      'To: <tel:+15551234567>',
      'Call-ID: tel-1@ims.lab',
      'CSeq: 2 INVITE',
      'Authorization: Digest username="alice@ims.lab", realm="ims.lab", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="tel:+15551234567", response="6629fae49393a05397450978507c4ef1", algorithm=MD5, qop=auth, nc=00000001, cnonce="0a4f113b"',
    ],
    '',
  ),
};
