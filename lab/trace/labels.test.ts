import { describe, expect, it } from 'vitest';
import type { WireProtocol } from '../../protocol/trace/index.js';
import { summarizeWire } from '../../runtime/index.js';
import { describeMessage, messageLabel } from './index.js';
import { bindingSend, deliverySend, inviteFromPf, okToInvite } from './test-support/deferred-flow.js';
import { msrpRequest, msrpResponse, sipMessage } from './test-support/messages.js';

const source = (protocol: WireProtocol, raw: Buffer) => ({
  protocol,
  raw,
  startLine: summarizeWire(protocol, raw).startLine,
});
const sip = (raw: Buffer) => source('sip', raw);
const msrp = (raw: Buffer) => source('msrp', raw);

describe('labels', () => {
  it('RFC 3261 §7.1/§7.2: requests by method, responses by status and the CSeq method', () => {
    expect(messageLabel(sip(inviteFromPf()))).toBe('INVITE');
    expect(messageLabel(sip(okToInvite(true)))).toBe('200 OK (INVITE)');
    const ringing = sipMessage('SIP/2.0 180 Ringing', [['CSeq', '1 invite']]);
    expect(messageLabel(sip(ringing))).toBe('180 Ringing (INVITE)');
    expect(messageLabel(sip(sipMessage('SIP/2.0 481', [])))).toBe('481');
  });

  it('RFC 5626 §3.5.1: CRLF keep-alives', () => {
    expect(messageLabel(sip(Buffer.from('\r\n\r\n')))).toBe('CRLF ping');
    expect(messageLabel(sip(Buffer.from('\r\n')))).toBe('CRLF pong');
  });

  it('RFC 4975 §7.1: MSRP requests by method, responses by status code', () => {
    expect(messageLabel(msrp(bindingSend()))).toBe('MSRP SEND');
    expect(messageLabel(msrp(msrpResponse('t1234', 200, 'OK', 'msrp://a:1/x;tcp', 'msrp://b:2/y;tcp')))).toBe(
      'MSRP 200',
    );
    expect(messageLabel(msrp(Buffer.from('garbage\r\n')))).toBe('garbage');
  });

  it('protocol-notes §4: the deferred INVITE shows its ICSI and SDP direction, the answer its direction', () => {
    expect(describeMessage(sip(inviteFromPf()))).toBe('INVITE (cpm.deferred, sendonly)');
    expect(describeMessage(sip(okToInvite(true)))).toBe('200 OK (INVITE, recvonly)');
  });

  it('RFC 3841: the ICSI is read from Accept-Contact (percent-encoded) when no P-*-Service is present', () => {
    const invite = sipMessage('INVITE sip:group-7@ims.lab SIP/2.0', [
      ['a', '*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session"'],
      ['CSeq', '1 INVITE'],
    ]);
    expect(describeMessage(sip(invite))).toBe('INVITE (cpm.session)');
  });

  it('RFC 3326: BYE shows its Reason cause; REGISTER its Expires; MESSAGE its CPIM payload type', () => {
    const bye = sipMessage('BYE sip:alice@ims.lab SIP/2.0', [['Reason', 'SIP ;cause=410 ;text="Gone"']]);
    expect(describeMessage(sip(bye))).toBe('BYE (cause=410)');
    const register = sipMessage('REGISTER sip:ims.lab SIP/2.0', [['Expires', '0']]);
    expect(describeMessage(sip(register))).toBe('REGISTER (expires=0)');
    const message = sipMessage(
      'MESSAGE sip:bob@ims.lab SIP/2.0',
      [['c', 'message/cpim']],
      'From: <sip:alice@ims.lab>\r\n\r\nContent-Type: message/imdn+xml\r\n\r\n<imdn/>',
    );
    expect(describeMessage(sip(message))).toBe('MESSAGE (cpim:message/imdn+xml)');
  });

  it('RFC 4975 §7.1.1: SEND shows empty, the CPIM payload type, chunk ranges and aborts; REPORT its status', () => {
    expect(describeMessage(msrp(bindingSend()))).toBe('MSRP SEND (empty)');
    expect(describeMessage(msrp(deliverySend()))).toBe('MSRP SEND (cpim:text/plain)');
    const chunk = Buffer.from(
      'MSRP c1234 SEND\r\nTo-Path: msrp://a:1/x;tcp\r\nFrom-Path: msrp://b:2/y;tcp\r\nMessage-ID: m\r\n' +
        'Byte-Range: 1-4/8\r\nContent-Type: text/plain\r\n\r\nabcd\r\n-------c1234+\r\n',
    );
    expect(describeMessage(msrp(chunk))).toBe('MSRP SEND (text/plain, bytes 1-4/8)');
    const aborted = Buffer.from(chunk.toString().replace('-------c1234+', '-------c1234#'));
    expect(describeMessage(msrp(aborted))).toBe('MSRP SEND (text/plain, bytes 1-4/8, aborted)');
    const report = msrpRequest('r1234', 'REPORT', 'msrp://a:1/x;tcp', 'msrp://b:2/y;tcp', [
      ['Message-ID', 'm'],
      ['Byte-Range', '1-8/8'],
      ['Status', '000 200 OK'],
    ]);
    expect(describeMessage(msrp(report))).toBe('MSRP REPORT (status 200)');
  });
});
