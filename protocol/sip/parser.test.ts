import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipParseError, type SipParseErrorCode } from './errors.js';
import { SipRequest, SipResponse, type SipMessage } from './message.js';
import {
  MAX_SKIPPED_BODY,
  parseErrorResponse,
  parseMessage,
  SipStreamParser,
  type SipStreamItem,
} from './parser.js';
import { serializeMessage } from './serializer.js';
import { describeStreamItem } from './test-support/stream-items.js';
import { CORPUS } from './test-support/corpus.js';

const msg = (lines: string[], body = ''): Buffer =>
  Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body, 'utf8');

const GOOD_HEADERS = [
  'Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1',
  'Max-Forwards: 70',
  'From: <sip:alice@ims.lab>;tag=1',
  'To: <sip:bob@ims.lab>',
  'Call-ID: c1',
  'CSeq: 1 OPTIONS',
];

function messagesOf(items: SipStreamItem[]): SipMessage[] {
  return items.flatMap((i) => (i.kind === 'message' ? [i.message] : []));
}

describe('RFC 3261 §7: the IMS corpus round-trips exactly', () => {
  for (const [name, raw] of Object.entries(CORPUS)) {
    it(`${name}`, () => {
      const parsed = parseMessage(raw);
      expect(serializeMessage(parsed).equals(raw)).toBe(true);
      const stream = new SipStreamParser();
      const items = stream.push(raw);
      expect(items).toHaveLength(1);
      expect(items[0]!.kind).toBe('message');
      expect(serializeMessage((items[0] as { message: SipMessage }).message).equals(raw)).toBe(true);
    });
  }

  it('gives typed access to the deferred INVITE (protocol-notes §4)', () => {
    const invite = parseMessage(CORPUS['deferred INVITE from the PF (protocol-notes §4)']!) as SipRequest;
    expect(invite.isRequest).toBe(true);
    expect(invite.method).toBe('INVITE');
    expect(invite.requestUri).toMatchObject({ scheme: 'sip', user: 'alice', host: 'ims.lab' });
    expect(invite.cseq).toEqual({ seq: 1, method: 'INVITE' });
    expect(invite.fromTag).toBe('pf7731');
    expect(invite.toTag).toBeUndefined();
    expect(invite.topVia).toMatchObject({ transport: 'TCP', host: '127.0.0.1', port: 5070 });
    expect(invite.get('conversation-id')).toBe('5f0b5e3a-8d0c-4f63-9c59-1d7b3a0e2c11');
    expect(invite.contacts[0]!.params.has('isfocus')).toBe(true);
    expect(invite.mediaType).toBe('application/sdp');
    expect(invite.body.toString()).toContain('a=sendonly');
  });

  it('RFC 3261 §7.3.3: compact forms are read as their full names', () => {
    const res = parseMessage(CORPUS['180 Ringing with Record-Route and compact headers']!) as SipResponse;
    expect(res.status).toBe(180);
    expect(res.callId).toBe('a84b4c76e66710');
    expect(res.vias).toHaveLength(2);
    expect(res.vias[1]!.params.get('received')).toBe('127.0.0.1');
    expect(res.get('Contact')).toBe('<sip:alice@127.0.0.1:5064>');
    expect(res.toTag).toBe('1928301774');
  });

  it('RFC 3261 §7.3.1: header folding joins continuation lines with one space', () => {
    const raw = msg([
      'OPTIONS sip:bob@ims.lab SIP/2.0',
      ...GOOD_HEADERS,
      'Subject: I know you are there,',
      '      pick up the phone',
      '\tand talk to me!',
      'Content-Length: 0',
    ]);
    expect(parseMessage(raw).get('subject')).toBe('I know you are there, pick up the phone and talk to me!');
  });

  it('RFC 3261 §7.3.1: list headers split across fields and commas, quoted commas kept', () => {
    const raw = msg([
      'OPTIONS sip:bob@ims.lab SIP/2.0',
      ...GOOD_HEADERS,
      'Contact: "Smith, J" <sip:j@ims.lab>;q=0.5, <sip:k@ims.lab>',
      'Contact: <sip:l@ims.lab;transport=tcp>;+g.3gpp.icsi-ref="a,b"',
      'Content-Length: 0',
    ]);
    const m = parseMessage(raw);
    expect(m.getAll('contact')).toHaveLength(3);
    expect(m.contacts.map((c) => c.displayName)).toEqual(['Smith, J', undefined, undefined]);
    expect(m.contacts[2]!.params.get('+g.3gpp.icsi-ref')).toBe('a,b');
  });

  it('RFC 3261 §18.3: bytes past Content-Length in a datagram are discarded', () => {
    const raw = msg(['OPTIONS sip:bob@ims.lab SIP/2.0', ...GOOD_HEADERS, 'Content-Length: 3'], 'abcdef');
    expect(parseMessage(raw).body.toString()).toBe('abc');
  });

  it('RFC 3261 §18.3: a datagram without Content-Length takes the rest as body', () => {
    const raw = msg(['OPTIONS sip:bob@ims.lab SIP/2.0', ...GOOD_HEADERS], 'xyz');
    expect(parseMessage(raw).body.toString()).toBe('xyz');
  });

  it('RFC 3261 §7.5: leading CRLFs before the start line are ignored in datagrams', () => {
    const raw = Buffer.concat([
      Buffer.from('\r\n\r\n'),
      CORPUS['481 to an INVITE for an unknown group (D1.iv)']!,
    ]);
    expect((parseMessage(raw) as SipResponse).status).toBe(481);
  });
});

interface Malformed {
  name: string;
  raw: Buffer;
  code: SipParseErrorCode;
  /** Status of the error response; undefined: silent drop. */
  response: number | undefined;
}

const req = (first: string, headers: string[], body = ''): Buffer => msg([first, ...headers], body);
const replace = (name: string, value: string | null): string[] => {
  const out = GOOD_HEADERS.filter((h) => !h.toLowerCase().startsWith(name.toLowerCase() + ':'));
  if (value !== null) out.push(`${name}: ${value}`);
  return [...out, 'Content-Length: 0'];
};
const okHeaders = [...GOOD_HEADERS, 'Content-Length: 0'];

const MALFORMED: Malformed[] = [
  { name: 'empty start line', raw: req('', okHeaders), code: 'start-line', response: undefined },
  {
    name: 'request line with two spaces',
    raw: req('OPTIONS  sip:bob@ims.lab SIP/2.0', okHeaders),
    code: 'start-line',
    response: 400,
  },
  {
    name: 'request line missing version',
    raw: req('OPTIONS sip:bob@ims.lab', okHeaders),
    code: 'start-line',
    response: 400,
  },
  {
    name: 'request line with extra token',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0 extra', okHeaders),
    code: 'start-line',
    response: 400,
  },
  {
    name: 'method with illegal char',
    raw: req('OPT:ONS sip:bob@ims.lab SIP/2.0', okHeaders),
    code: 'start-line',
    response: 400,
  },
  {
    name: 'SIP/3.0 request',
    raw: req('OPTIONS sip:bob@ims.lab SIP/3.0', okHeaders),
    code: 'version',
    response: 505,
  },
  { name: 'HTTP request line', raw: req('GET / HTTP/1.1', okHeaders), code: 'version', response: 505 },
  {
    name: 'status code of 2 digits',
    raw: req('SIP/2.0 20 OK', okHeaders),
    code: 'start-line',
    response: undefined,
  },
  {
    name: 'status code 700',
    raw: req('SIP/2.0 700 Odd', okHeaders),
    code: 'start-line',
    response: undefined,
  },
  {
    name: 'status code not numeric',
    raw: req('SIP/2.0 2x0 OK', okHeaders),
    code: 'start-line',
    response: undefined,
  },
  {
    name: 'Request-URI without scheme',
    raw: req('OPTIONS bob@ims.lab SIP/2.0', okHeaders),
    code: 'uri',
    response: 400,
  },
  {
    name: 'Request-URI with bad host',
    raw: req('OPTIONS sip:bob@ims_lab SIP/2.0', okHeaders),
    code: 'uri',
    response: 400,
  },
  {
    name: 'Request-URI with port 99999',
    raw: req('OPTIONS sip:bob@ims.lab:99999 SIP/2.0', okHeaders),
    code: 'uri',
    response: 400,
  },
  {
    name: 'Request-URI with empty user',
    raw: req('OPTIONS sip:@ims.lab SIP/2.0', okHeaders),
    code: 'uri',
    response: 400,
  },
  {
    name: 'tel URI without digits',
    raw: req('OPTIONS tel:abc SIP/2.0', okHeaders),
    code: 'uri',
    response: 400,
  },
  {
    name: 'missing Via',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('Via', null)),
    code: 'missing-header',
    response: undefined,
  },
  {
    name: 'missing From',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('From', null)),
    code: 'missing-header',
    response: 400,
  },
  {
    name: 'missing To',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('To', null)),
    code: 'missing-header',
    response: 400,
  },
  {
    name: 'missing Call-ID',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('Call-ID', null)),
    code: 'missing-header',
    response: 400,
  },
  {
    name: 'missing CSeq',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('CSeq', null)),
    code: 'missing-header',
    response: 400,
  },
  {
    name: 'CSeq without method',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('CSeq', '1')),
    code: 'cseq',
    response: 400,
  },
  {
    name: 'CSeq not numeric',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('CSeq', 'one OPTIONS')),
    code: 'cseq',
    response: 400,
  },
  {
    name: 'CSeq ≥ 2^31',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('CSeq', '2147483648 OPTIONS')),
    code: 'cseq',
    response: 400,
  },
  {
    name: 'CSeq method mismatch',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('CSeq', '1 INVITE')),
    code: 'cseq',
    response: 400,
  },
  {
    name: 'Via without branch port garbage',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('Via', 'SIP/2.0/UDP 127.0.0.1:abc')),
    code: 'via',
    response: undefined,
  },
  {
    name: 'Via without sent-protocol',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('Via', '127.0.0.1:5060')),
    code: 'via',
    response: undefined,
  },
  {
    name: 'From without closing >',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('From', '<sip:alice@ims.lab;tag=1')),
    code: 'name-addr',
    response: 400,
  },
  {
    name: 'To with unterminated quote',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('To', '"Bob <sip:bob@ims.lab>')),
    code: 'name-addr',
    response: 400,
  },
  {
    name: 'empty Call-ID',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('Call-ID', '')),
    code: 'missing-header',
    response: 400,
  },
  {
    name: 'header line without colon',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', [...okHeaders, 'Garbage line']),
    code: 'header',
    response: 400,
  },
  {
    name: 'header name with space',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', [...okHeaders, 'Bad Name: x']),
    code: 'header',
    response: 400,
  },
  {
    name: 'continuation before any header',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', [' folded', ...okHeaders]),
    code: 'header',
    response: 400,
  },
  {
    name: 'NUL byte in a header',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', [...okHeaders, 'Subject: a\0b']),
    code: 'nul-byte',
    response: 400,
  },
  {
    name: 'Content-Length not numeric',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', replace('Content-Length', 'ten').slice(0, -1)),
    code: 'content-length',
    response: 400,
  },
  {
    name: 'Content-Length larger than body',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', [...GOOD_HEADERS, 'Content-Length: 50'], 'short'),
    code: 'content-length',
    response: 400,
  },
  {
    name: 'Content-Length negative',
    raw: req('OPTIONS sip:bob@ims.lab SIP/2.0', [...GOOD_HEADERS, 'Content-Length: -1']),
    code: 'content-length',
    response: 400,
  },
  {
    name: 'no blank line after headers',
    raw: Buffer.from(
      'OPTIONS sip:bob@ims.lab SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n',
    ),
    code: 'header',
    response: 400,
  },
  {
    name: 'oversize message (> 64 KiB)',
    raw: req(
      'OPTIONS sip:bob@ims.lab SIP/2.0',
      [...GOOD_HEADERS, `Content-Length: ${70_000}`],
      'x'.repeat(70_000),
    ),
    code: 'too-large',
    response: 513,
  },
];

describe('malformed input yields SipParseError with the exact code and error response', () => {
  it('has at least 30 cases', () => expect(MALFORMED.length).toBeGreaterThanOrEqual(30));

  for (const c of MALFORMED) {
    it(`${c.name} → ${c.code}, ${c.response ?? 'silent drop'}`, () => {
      let error: unknown;
      try {
        parseMessage(c.raw);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SipParseError);
      expect((error as SipParseError).code).toBe(c.code);
      const response = parseErrorResponse(c.raw, error as SipParseError);
      expect(response?.status).toBe(c.response);
      if (response) {
        // The error response goes back along the request's Via (RFC 3261 §18.2.2) with a Warning.
        const text = serializeMessage(response).toString('utf8');
        expect(text.startsWith(`SIP/2.0 ${c.response} `)).toBe(true);
        expect(response.get('via')).toBe('SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1');
        expect(response.get('warning')).toMatch(/^399 cpm-lab "/);
      }
    });
  }
});

describe('RFC 3261 §18.3 / RFC 5626 §4.4.1: stream framing', () => {
  const all = Object.values(CORPUS);
  const stream = Buffer.concat(all);

  it('a stream of every corpus message parses message by message', () => {
    const parser = new SipStreamParser();
    const got = messagesOf(parser.push(stream)).map(serializeMessage);
    expect(got).toHaveLength(all.length);
    expect(got.map((b) => b.toString('latin1'))).toEqual(all.map((b) => b.toString('latin1')));
    expect(parser.buffered).toBe(0);
  });

  it('the same stream fed one byte at a time gives the same messages', () => {
    const parser = new SipStreamParser();
    const items: SipStreamItem[] = [];
    for (let i = 0; i < stream.length; i++) items.push(...parser.push(stream.subarray(i, i + 1)));
    expect(messagesOf(items).map(serializeMessage)).toEqual(
      messagesOf(new SipStreamParser().push(stream)).map(serializeMessage),
    );
  });

  it('RFC 5626 §4.4.1: CRLFCRLF between messages is a pong then a ping (its first half cannot wait), a lone CRLF a pong', () => {
    const parser = new SipStreamParser();
    const one = CORPUS['481 to an INVITE for an unknown group (D1.iv)']!;
    const items = parser.push(Buffer.concat([Buffer.from('\r\n\r\n'), one, Buffer.from('\r\n'), one]));
    expect(items.map((i) => i.kind)).toEqual(['pong', 'ping', 'message', 'pong', 'message']);
    // Three CRLFs: one ping and a pong; four: two pings.
    expect(new SipStreamParser().push(Buffer.from('\r\n'.repeat(4))).map((i) => i.kind)).toEqual([
      'pong',
      'ping',
      'pong',
      'ping',
    ]);
  });

  it('no stall: a malformed head whose body arrives in a later read than its blank line is reported, and the next message parses', () => {
    const bad = req(
      'OPTIONS sip:bob@ims.lab SIP/2.0',
      [...replace('CSeq', '1 INVITE').slice(0, -1), 'Content-Length: 8'],
      '\r\n\r\nabcd',
    );
    const good = CORPUS['SUBSCRIBE to the conference event package']!;
    const blank = bad.indexOf('\r\n\r\n') + 4;
    const parser = new SipStreamParser();
    expect(parser.push(bad.subarray(0, blank))).toEqual([]);
    const items = parser.push(Buffer.concat([bad.subarray(blank), good]));
    expect(items.map((i) => i.kind)).toEqual(['error', 'message']);
    expect(items[0]).toMatchObject({ fatal: false });
    expect((items[0] as { raw: Buffer }).raw.equals(bad)).toBe(true);
  });

  it('5,000 stray CRs are skipped without recursion (no stack overflow) and a message after them parses', () => {
    const crs = Buffer.alloc(5000, 0x0d);
    const good = CORPUS['SUBSCRIBE to the conference event package']!;
    // A CR right before a message start line is a stray one too.
    const items = new SipStreamParser().push(Buffer.concat([crs, good]));
    expect(items.map((i) => i.kind)).toEqual(['message']);
    const many = new SipStreamParser().push(Buffer.concat([Buffer.alloc(200_000, 0x0d), good]));
    expect(many.map((i) => i.kind)).toEqual(['message']);
  });

  it('a lone CRLF at the end of a read is a pong at once (the client waiting for it sees it)', () => {
    const parser = new SipStreamParser();
    expect(parser.push(Buffer.from('\r\n'))).toEqual([{ kind: 'pong' }]);
  });

  it('a ping split across reads is still answered: the second half reports a ping', () => {
    const parser = new SipStreamParser();
    expect(parser.push(Buffer.from('\r\n'))).toEqual([{ kind: 'pong' }]);
    expect(parser.push(Buffer.from('\r\n'))).toEqual([{ kind: 'ping' }]);
    const one = CORPUS['481 to an INVITE for an unknown group (D1.iv)']!;
    expect(parser.push(Buffer.from('\r\n')).map((i) => i.kind)).toEqual(['pong']);
    expect(parser.push(one).map((i) => i.kind)).toEqual(['message']);
  });

  it('a ping split as CRLF | CR | LF is still a ping', () => {
    const parser = new SipStreamParser();
    expect(parser.push(Buffer.from('\r\n')).map((i) => i.kind)).toEqual(['pong']);
    expect(parser.push(Buffer.from('\r'))).toEqual([]);
    expect(parser.push(Buffer.from('\n')).map((i) => i.kind)).toEqual(['ping']);
  });

  it('a malformed message with a readable Content-Length is skipped; the next one parses', () => {
    const bad = req(
      'OPTIONS sip:bob@ims.lab SIP/2.0',
      [...replace('CSeq', '1 INVITE').slice(0, -1), 'Content-Length: 4'],
      'abcd',
    );
    const good = CORPUS['SUBSCRIBE to the conference event package']!;
    const items = new SipStreamParser().push(Buffer.concat([bad, good]));
    expect(items.map((i) => i.kind)).toEqual(['error', 'message']);
    expect(items[0]).toMatchObject({ fatal: false });
  });

  it('RFC 3261 §18.3: a stream message without Content-Length is reported and framed as bodiless', () => {
    const raw = req('OPTIONS sip:bob@ims.lab SIP/2.0', GOOD_HEADERS);
    const items = new SipStreamParser().push(
      Buffer.concat([raw, CORPUS['SUBSCRIBE to the conference event package']!]),
    );
    expect(items.map((i) => i.kind)).toEqual(['error', 'message']);
  });

  it('unframeable garbage is fatal and the parser then ignores the connection', () => {
    const parser = new SipStreamParser({ maxMessageSize: 1024 });
    const items = parser.push(Buffer.alloc(2000, 0x41));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'error', fatal: true });
    expect(parser.push(CORPUS['SUBSCRIBE to the conference event package']!)).toEqual([]);
  });

  it('RFC 3261 §21.5.14: a message over the limit is refused (too-large, not fatal), its body read past unbuffered, and the next message parses', () => {
    const parser = new SipStreamParser({ maxMessageSize: 4096 });
    const head = req('OPTIONS sip:bob@ims.lab SIP/2.0', [...GOOD_HEADERS, 'Content-Length: 100000']);
    const items = parser.push(head);
    expect(items).toEqual([
      expect.objectContaining({
        kind: 'error',
        fatal: false,
        error: expect.objectContaining({ code: 'too-large' }),
      }),
    ]);
    for (let i = 0; i < 100; i++) {
      expect(parser.push(Buffer.alloc(1000, 0x41))).toEqual([]);
      expect(parser.buffered).toBe(0);
    }
    const good = CORPUS['SUBSCRIBE to the conference event package']!;
    expect(parser.push(good).map((i) => i.kind)).toEqual(['message']);
  });

  it('a Content-Length beyond what is worth reading past is fatal before the body is buffered', () => {
    const parser = new SipStreamParser({ maxMessageSize: 4096 });
    const items = parser.push(
      req('OPTIONS sip:bob@ims.lab SIP/2.0', [...GOOD_HEADERS, `Content-Length: ${MAX_SKIPPED_BODY + 1}`]),
    );
    expect(items[0]).toMatchObject({ kind: 'error', fatal: true, error: { code: 'too-large' } });
  });
});

describe('properties (fast-check)', () => {
  const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
  const value = fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/).filter((v) => !v.includes(','));
  const extraHeaders = fc.array(
    fc.tuple(
      token.filter((t) => !/^(via|v|from|f|to|t|call-id|i|cseq|content-length|l)$/i.test(t)),
      value,
    ),
    { maxLength: 8 },
  );
  const messageArb = fc
    .tuple(
      fc.boolean(),
      fc.constantFrom('INVITE', 'MESSAGE', 'REGISTER', 'BYE', 'OPTIONS', 'X-CUSTOM'),
      fc.integer({ min: 100, max: 699 }),
      fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      extraHeaders,
      fc.uint8Array({ maxLength: 300 }),
    )
    .map(([isReq, method, status, user, seq, extra, body]) => {
      const m: SipMessage = isReq
        ? new SipRequest(method, `sip:${user}@ims.lab;transport=tcp`)
        : new SipResponse(status, 'Some Reason');
      m.append('Via', `SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK${user}`);
      m.append('From', `<sip:${user}@ims.lab>;tag=${seq}`);
      m.append('To', `"${user}" <sip:${user}@ims.lab>`);
      m.append('Call-ID', `${seq}@h`);
      m.append('CSeq', `${seq} ${method}`);
      for (const [n, v] of extra) m.append(n, v);
      m.body = Buffer.from(body);
      return m;
    });

  it('parse ∘ serialize is the identity on generated messages', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = serializeMessage(m);
        const parsed = parseMessage(bytes);
        expect(serializeMessage(parsed).equals(bytes)).toBe(true);
        expect(parsed.headers.slice(0, -1)).toEqual(m.headers);
        expect(parsed.body.equals(m.body)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes never make the parser throw anything but SipParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const buf = Buffer.from(bytes);
        try {
          parseMessage(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(SipParseError);
          parseErrorResponse(buf, err as SipParseError);
        }
        new SipStreamParser({ maxMessageSize: 512 }).push(buf);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated real messages never make the parser throw anything but SipParseError', () => {
    const seeds = Object.values(CORPUS);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (i, edits) => {
          const buf = Buffer.from(seeds[i]!);
          for (const [pos, byte] of edits) buf[pos % buf.length] = byte;
          try {
            parseMessage(buf);
          } catch (err) {
            expect(err).toBeInstanceOf(SipParseError);
            parseErrorResponse(buf, err as SipParseError);
          }
          new SipStreamParser().push(buf);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a TCP stream split at arbitrary points parses the same as whole', () => {
    const whole = Buffer.concat([Buffer.from('\r\n\r\n'), ...Object.values(CORPUS)]);
    const expected = new SipStreamParser().push(whole).map(describeStreamItem);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 40 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), whole.length];
          const parser = new SipStreamParser();
          const items: SipStreamItem[] = [];
          for (let k = 0; k + 1 < points.length; k++)
            items.push(...parser.push(whole.subarray(points[k], points[k + 1])));
          expect(items.map(describeStreamItem)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('SipStreamParser: any split of any input gives the same items (property)', () => {
  const good = Object.values(CORPUS);
  const malformedWithBody = req(
    'OPTIONS sip:bob@ims.lab SIP/2.0',
    [...replace('CSeq', '1 INVITE').slice(0, -1), 'Content-Length: 6'],
    '\r\n\r\n\r\n',
  );
  const noLength = req('OPTIONS sip:bob@ims.lab SIP/2.0', GOOD_HEADERS);
  const pieces = fc.oneof(
    fc.constantFrom(...good),
    fc.constant(malformedWithBody),
    fc.constant(noLength),
    fc.constantFrom(Buffer.from('\r\n'), Buffer.from('\r'), Buffer.from('\n'), Buffer.from('\r\n\r\n')),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a)),
    // A valid message with a few bytes changed: broken heads, broken lengths, stray delimiters.
    fc
      .tuple(
        fc.constantFrom(...good),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      )
      .map(([m, edits]) => {
        const b = Buffer.from(m);
        for (const [pos, byte] of edits) b[pos % b.length] = byte;
        return b;
      }),
  );

  it('items (messages, errors, pings, pongs) depend only on the bytes, not on the reads', () => {
    fc.assert(
      fc.property(
        fc.array(pieces, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (parts, rawCuts) => {
          const whole = Buffer.concat(parts);
          const expected = new SipStreamParser({ maxMessageSize: 4096 }).push(whole).map(describeStreamItem);
          const cuts = [...new Set(rawCuts.map((c) => (c % whole.length) + 1))].sort((a, b) => a - b);
          const points = [0, ...cuts.filter((c) => c < whole.length), whole.length];
          const parser = new SipStreamParser({ maxMessageSize: 4096 });
          const items: SipStreamItem[] = [];
          for (let k = 0; k + 1 < points.length; k++)
            items.push(...parser.push(whole.subarray(points[k], points[k + 1])));
          expect(items.map(describeStreamItem)).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
