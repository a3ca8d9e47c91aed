import { describe, expect, it } from 'vitest';
import { createRequest, createResponse, newBranch, newTag, reasonPhrase } from './builders.js';
import { parseCSeq } from './cseq.js';
import { SipParseError, SipSerializeError } from './errors.js';
import { canonicalHeaderName, normalizeHeaderName, splitHeaderList } from './header-names.js';
import { SipRequest } from './message.js';
import { formatNameAddr, parseNameAddr } from './name-addr.js';
import { parseParams } from './params.js';
import { parseMessage } from './parser.js';
import { serializeMessage } from './serializer.js';
import { aorOf, aorOfText, formatUri, isSipUri, parseUri, uriEquals, type SipUri } from './uri.js';
import { formatVia, parseVia } from './via.js';

describe('RFC 3261 §19.1 SIP URIs', () => {
  const cases: Array<[string, Partial<SipUri>]> = [
    ['sip:alice@ims.lab', { scheme: 'sip', user: 'alice', host: 'ims.lab' }],
    ['sips:alice:secret@ims.lab:5061', { scheme: 'sips', user: 'alice', password: 'secret', port: 5061 }],
    ['sip:127.0.0.1:5060;lr;transport=tcp', { host: '127.0.0.1', port: 5060 }],
    ['sip:[2001:db8::1]:5070', { host: '[2001:db8::1]', port: 5070 }],
    ['sip:%61lice@ims.lab', { user: '%61lice' }],
    [
      'sip:+15551234567;phone-context=ims.lab@ims.lab;user=phone',
      { user: '+15551234567;phone-context=ims.lab' },
    ],
    ['SIP:bob@IMS.LAB', { scheme: 'sip', host: 'IMS.LAB' }],
  ];
  for (const [text, expected] of cases) {
    it(`parses and re-formats ${text}`, () => {
      const uri = parseUri(text);
      expect(uri).toMatchObject(expected);
      if (text.startsWith('SIP:')) return;
      expect(formatUri(uri)).toBe(text);
    });
  }

  it('reads URI parameters and headers', () => {
    const uri = parseUri('sip:group-7@ims.lab;transport=tcp;lr?Subject=hi&Priority=urgent') as SipUri;
    expect(uri.params.get('transport')).toBe('tcp');
    expect(uri.params.get('lr')).toBeNull();
    expect(uri.headers).toEqual([
      ['Subject', 'hi'],
      ['Priority', 'urgent'],
    ]);
  });

  it('RFC 3966: tel URIs with parameters', () => {
    const uri = parseUri('tel:+1-201-555-0123;ext=1234');
    expect(uri).toMatchObject({ scheme: 'tel', number: '+1-201-555-0123' });
    expect(aorOf(uri)).toBe('tel:+12015550123');
  });

  it('keeps other schemes opaque', () => {
    expect(parseUri('urn:uuid:8e3c8b2e-1c2a-4d6f-9a8b-7c6d5e4f3a2b')).toEqual({
      scheme: 'urn',
      raw: 'urn:uuid:8e3c8b2e-1c2a-4d6f-9a8b-7c6d5e4f3a2b',
    });
  });

  for (const bad of [
    'sip:',
    'sip:alice@',
    'sip:alice@host:',
    'sip:alice@ho st',
    'sip:a@[::1',
    'nocolon',
    'sip:a@h:70000',
  ]) {
    it(`rejects ${JSON.stringify(bad)} with SipParseError('uri')`, () => {
      expect(() => parseUri(bad)).toThrowError(SipParseError);
      try {
        parseUri(bad);
      } catch (err) {
        expect((err as SipParseError).code).toBe('uri');
      }
    });
  }

  it('RFC 3261 §19.1.4: comparison ignores host case and escaping, not the port', () => {
    expect(uriEquals(parseUri('sip:%61lice@IMS.lab'), parseUri('sip:alice@ims.lab'))).toBe(true);
    expect(uriEquals(parseUri('sip:alice@ims.lab'), parseUri('sip:alice@ims.lab:5060'))).toBe(false);
    expect(uriEquals(parseUri('sip:alice@ims.lab;transport=tcp'), parseUri('sip:alice@ims.lab'))).toBe(false);
    expect(aorOf(parseUri('sip:alice@IMS.LAB:5060;transport=tcp'))).toBe('sip:alice@ims.lab');
  });

  it('RFC 3261 §10.3: aorOfText is aorOf(parseUri) (remembered or not); a malformed URI throws every time', () => {
    const long = `sip:${'a'.repeat(300)}@IMS.lab;transport=tcp`;
    for (const text of ['sip:alice@IMS.LAB:5060;transport=tcp', 'tel:+1-555-0100', long]) {
      expect(aorOfText(text)).toBe(aorOf(parseUri(text)));
      expect(aorOfText(text)).toBe(aorOf(parseUri(text)));
    }
    for (let i = 0; i < 2; i++) expect(() => aorOfText('sip:alice@bad host')).toThrow(SipParseError);
  });
});

describe('RFC 3261 §20.10 name-addr / addr-spec', () => {
  it('display name, URI parameters inside <>, header parameters outside', () => {
    const na = parseNameAddr('"Alice \\"A\\" Smith" <sip:alice@ims.lab;transport=tcp>;tag=abc;expires=60');
    expect(na.displayName).toBe('Alice "A" Smith');
    expect(isSipUri(na.uri) && na.uri.params.get('transport')).toBe('tcp');
    expect(na.params.get('tag')).toBe('abc');
    expect(formatNameAddr(na)).toBe(
      '"Alice \\"A\\" Smith" <sip:alice@ims.lab;transport=tcp>;tag=abc;expires=60',
    );
  });

  it('addr-spec: parameters after the URI are header parameters (§20.10)', () => {
    const na = parseNameAddr('sip:alice@ims.lab;tag=xyz');
    expect(na.params.get('tag')).toBe('xyz');
    expect(isSipUri(na.uri) && na.uri.params.list).toEqual([]);
  });

  it('token display name and feature parameters (RFC 3840)', () => {
    const na = parseNameAddr(
      'Alice <sip:alice@127.0.0.1:5062>;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session";+sip.instance="<urn:uuid:1>"',
    );
    expect(na.displayName).toBe('Alice');
    expect(na.params.get('+g.3gpp.icsi-ref')).toBe('urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session');
    expect(na.params.get('+sip.instance')).toBe('<urn:uuid:1>');
  });

  for (const bad of ['<sip:a@b', '"unterminated <sip:a@b>', '<sip:a@b> trailing', '<>', '"x" sip:a@b']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      expect(() => parseNameAddr(bad)).toThrowError(SipParseError);
    });
  }
});

describe('RFC 3261 §20.42 Via, RFC 3581 rport', () => {
  it('reads sent-protocol, sent-by and parameters', () => {
    const via = parseVia('SIP / 2.0 / udp 127.0.0.1:5062;branch=z9hG4bK776;rport;received=10.0.0.1');
    expect(via).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: '127.0.0.1', port: 5062 });
    expect(via.params.get('rport')).toBeNull();
    expect(via.params.get('received')).toBe('10.0.0.1');
    via.params.set('rport', '5062');
    expect(formatVia(via)).toBe('SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK776;rport=5062;received=10.0.0.1');
  });
  it('IPv6 sent-by', () => expect(parseVia('SIP/2.0/TCP [::1]:5060;branch=z9hG4bKx').host).toBe('[::1]'));
  it('rejects a Via without sent-by', () =>
    expect(() => parseVia('SIP/2.0/UDP ;branch=x')).toThrowError(SipParseError));
});

describe('RFC 3261 §20.16 CSeq and §25.1 parameters', () => {
  it('CSeq', () => expect(parseCSeq(' 4711   INVITE ')).toEqual({ seq: 4711, method: 'INVITE' }));
  it('quoted parameter values with escapes and separators', () => {
    const { params } = parseParams(';a="x;y,z";b=1;c', 0);
    expect(params.get('a')).toBe('x;y,z');
    expect(params.toString()).toBe(';a="x;y,z";b=1;c');
  });
});

describe('header names (RFC 3261 §7.3.3)', () => {
  it('normalises compact forms and case', () => {
    expect(normalizeHeaderName('i')).toBe('call-id');
    expect(normalizeHeaderName('A')).toBe('accept-contact');
    expect(normalizeHeaderName('CALL-ID')).toBe('call-id');
    expect(canonicalHeaderName('call-id')).toBe('Call-ID');
    expect(canonicalHeaderName('cseq')).toBe('CSeq');
    expect(canonicalHeaderName('conversation-id')).toBe('Conversation-ID');
    expect(canonicalHeaderName('record-route')).toBe('Record-Route');
  });
  it('splits lists outside quotes and angle brackets', () => {
    expect(splitHeaderList('<sip:a@b;x=1,2>, "c, d" <sip:c@d>;p="1,2" , <sip:e@f>')).toEqual([
      '<sip:a@b;x=1,2>',
      '"c, d" <sip:c@d>;p="1,2"',
      '<sip:e@f>',
    ]);
  });
});

describe('message model', () => {
  const raw = Buffer.from(
    [
      'INVITE sip:bob@ims.lab SIP/2.0',
      'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1, SIP/2.0/UDP 127.0.0.1:5064;branch=z9hG4bK0',
      'Record-Route: <sip:p1.ims.lab;lr>',
      'From: <sip:alice@ims.lab>;tag=1',
      'To: <sip:bob@ims.lab>',
      'Call-ID: c1',
      'CSeq: 7 INVITE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );

  it('RFC 3261 §16.7 step 3: removeFirstValue pops the top Via of a combined field', () => {
    const m = parseMessage(raw);
    expect(m.removeFirstValue('via')).toBe('SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1');
    expect(m.vias.map((v) => v.port)).toEqual([5064]);
  });

  it('prepend puts a Via on top; set replaces all at the first position', () => {
    const m = parseMessage(raw);
    m.prepend('Via', 'SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKnew');
    expect(m.topVia.transport).toBe('TCP');
    m.set('v', 'SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKonly');
    expect(m.getAll('via')).toEqual(['SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKonly']);
    expect(m.headers[0]!.name).toBe('Via');
  });

  it('the serializer always writes the right Content-Length', () => {
    const m = parseMessage(raw);
    m.body = Buffer.from('héllo');
    expect(serializeMessage(m).toString()).toContain('Content-Length: 6\r\n\r\nhéllo');
    const fresh = new SipRequest('OPTIONS', 'sip:x@y');
    expect(serializeMessage(fresh).toString()).toBe('OPTIONS sip:x@y SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  });

  it('no header injection: CR, LF or NUL in a header value, reason or Request-URI, or a non-token header name, is a SipSerializeError', () => {
    const cases: Array<[string, (m: SipRequest) => void]> = [
      ['CRLF in a value', (m) => m.append('Subject', 'x\r\nX-Injected: yes')],
      ['LF in a value', (m) => m.append('Subject', 'x\nX-Injected: yes')],
      ['CR in a value', (m) => m.append('Subject', 'x\rX')],
      ['NUL in a value', (m) => m.append('Subject', 'x\0y')],
      ['a header name with a colon', (m) => m.append('Sub:ject', 'x')],
      ['a header name with CRLF', (m) => m.append('X\r\nY', 'x')],
    ];
    for (const [label, spoil] of cases) {
      const m = new SipRequest('MESSAGE', 'sip:bob@ims.lab');
      spoil(m);
      expect(() => serializeMessage(m), label).toThrow(SipSerializeError);
    }
    expect(() => serializeMessage(new SipRequest('MESSAGE', 'sip:bob@ims.lab SIP/2.0\r\nX: y'))).toThrow(
      SipSerializeError,
    );
    expect(() => serializeMessage(new SipRequest('MES SAGE', 'sip:bob@ims.lab'))).toThrow(SipSerializeError);
    const response = createResponse(parseMessage(raw) as SipRequest, 200, 'OK\r\nX-Injected: yes');
    expect(() => serializeMessage(response)).toThrow(SipSerializeError);
  });

  it('RFC 3261 §8.2.6.2: createResponse copies Via/From/To/Call-ID/CSeq and adds a To tag', () => {
    const request = parseMessage(raw) as SipRequest;
    const response = createResponse(request, 180, undefined, 'tt');
    expect(response.reason).toBe('Ringing');
    expect(response.getAll('via')).toHaveLength(2);
    expect(response.toTag).toBe('tt');
    expect(response.get('record-route')).toBe('<sip:p1.ims.lab;lr>');
    expect(createResponse(request, 100).toTag).toBeUndefined();
    expect(createResponse(request, 486).has('record-route')).toBe(false);
  });

  it('createRequest builds a parseable request; identifiers are random and well formed', () => {
    const r = createRequest({
      method: 'MESSAGE',
      uri: 'sip:bob@ims.lab',
      from: `<sip:alice@ims.lab>;tag=${newTag()}`,
      to: '<sip:bob@ims.lab>',
      callId: 'x1',
      cseq: 1,
      body: Buffer.from('hi'),
      contentType: 'text/plain',
    });
    r.prepend('Via', `SIP/2.0/UDP 127.0.0.1:5062;branch=${newBranch()}`);
    const parsed = parseMessage(serializeMessage(r)) as SipRequest;
    expect(parsed.method).toBe('MESSAGE');
    expect(parsed.body.toString()).toBe('hi');
    expect(newBranch()).toMatch(/^z9hG4bK[0-9a-f]{20}$/);
    expect(newBranch()).not.toBe(newBranch());
    expect(reasonPhrase(481)).toBe('Call/Transaction Does Not Exist');
    expect(reasonPhrase(499)).toBe('Bad Request');
  });
});
