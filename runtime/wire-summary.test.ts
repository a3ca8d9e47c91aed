import { describe, expect, it } from 'vitest';
import { MAX_HEADER_SCAN, MAX_START_LINE, summarizeWire } from './wire-summary.js';

const invite = [
  'INVITE sip:conf-1@pf.lab SIP/2.0',
  'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK-1',
  'call-id:   a84b4c76e66710@alice  ',
  'CSeq: 1 INVITE',
  'Content-Length: 20',
  '',
  'Call-ID: not-this-one',
].join('\r\n');

describe('wire summary', () => {
  it('RFC 3261 §20.8: start line and Call-ID (case-insensitive, trimmed)', () => {
    expect(summarizeWire('sip', Buffer.from(invite))).toEqual({
      startLine: 'INVITE sip:conf-1@pf.lab SIP/2.0',
      callId: 'a84b4c76e66710@alice',
    });
  });

  it('RFC 3261 §7.3.3: compact form "i" of Call-ID; responses too', () => {
    const raw = Buffer.from('SIP/2.0 200 OK\r\nv: SIP/2.0/UDP h\r\ni: xyz@h\r\n\r\n');
    expect(summarizeWire('sip', raw)).toEqual({ startLine: 'SIP/2.0 200 OK', callId: 'xyz@h' });
  });

  it('RFC 3261 §7.5: leading CRLFs are skipped; a CRLF keep-alive has an empty start line', () => {
    expect(summarizeWire('sip', Buffer.from('\r\n\r\nOPTIONS sip:a SIP/2.0\r\nCall-ID: k\r\n\r\n'))).toEqual({
      startLine: 'OPTIONS sip:a SIP/2.0',
      callId: 'k',
    });
    expect(summarizeWire('sip', Buffer.from('\r\n\r\n'))).toEqual({ startLine: '' });
  });

  it('Call-ID in the body is not taken; bare-LF header ends are honoured', () => {
    const raw = Buffer.from('MESSAGE sip:b SIP/2.0\nCSeq: 1 MESSAGE\n\nCall-ID: body\n');
    expect(summarizeWire('sip', raw)).toEqual({ startLine: 'MESSAGE sip:b SIP/2.0' });
  });

  it('RFC 4975 §7.1: the MSRP transaction id comes from request and response start lines', () => {
    const send = Buffer.from(
      'MSRP a786hjs2 SEND\r\nTo-Path: msrp://b\r\nMessage-ID: 87652491\r\n-------a786hjs2$\r\n',
    );
    expect(summarizeWire('msrp', send)).toEqual({
      startLine: 'MSRP a786hjs2 SEND',
      msrpTransactionId: 'a786hjs2',
    });
    const ok = Buffer.from('MSRP a786hjs2 200 OK\r\nTo-Path: msrp://a\r\n-------a786hjs2$\r\n');
    expect(summarizeWire('msrp', ok).msrpTransactionId).toBe('a786hjs2');
    expect(summarizeWire('msrp', Buffer.from('MSRP x SEND\r\n')).msrpTransactionId).toBeUndefined();
    expect(summarizeWire('msrp', Buffer.from('garbage')).startLine).toBe('garbage');
  });

  it('bounded: long start lines are cut, headers beyond the scan window are not read', () => {
    const long = Buffer.from(`INVITE sip:${'a'.repeat(5000)}@h SIP/2.0\r\nCall-ID: c\r\n\r\n`);
    const s = summarizeWire('sip', long);
    expect(s.startLine).toHaveLength(MAX_START_LINE);
    expect(s.startLine.endsWith('…')).toBe(true);
    expect(s.callId).toBe('c');
    const far = Buffer.from(
      `OPTIONS sip:a SIP/2.0\r\nX: ${'b'.repeat(MAX_HEADER_SCAN)}\r\nCall-ID: late\r\n\r\n`,
    );
    expect(summarizeWire('sip', far).callId).toBeUndefined();
    expect(summarizeWire('sip', Buffer.alloc(0))).toEqual({ startLine: '' });
  });
});
