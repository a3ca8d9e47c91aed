import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MsrpFrame } from './frame.js';
import { type ParseEvent, MsrpParser } from './parser.js';
import { serializeFrame } from './serializer.js';

const crlf = (s: string): Buffer => Buffer.from(s.replace(/\n/g, '\r\n'), 'utf8');

// RFC 4975 §7.1.1 / §7.2 / §7.1.2 / §7.1.3 example shapes and the lab profile (protocol-notes §5).
const SEND_EXAMPLE = crlf(`MSRP a786hjs2 SEND
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
Message-ID: 87652491
Byte-Range: 1-25/25
Content-Type: text/plain

Hey Bob, are you there?
-------a786hjs2$
`);
const OK_EXAMPLE = crlf(`MSRP a786hjs2 200 OK
To-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp
From-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp
-------a786hjs2$
`);
const CHUNK_EXAMPLE = crlf(`MSRP dkei38sd SEND
To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
Message-ID: 456
Byte-Range: 1-*/*
Content-Type: text/plain

Hi Alice, I'm sending you a long message; this is the first chunk.
-------dkei38sd+
`);
const REPORT_EXAMPLE = crlf(`MSRP dkei38ia REPORT
To-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp
Message-ID: 12339sdqwer
Byte-Range: 1-106/106
Status: 000 200 OK
-------dkei38ia$
`);
const EMPTY_SEND = crlf(`MSRP bind0001 SEND
To-Path: msrp://pf.ims.lab:2855/s8f7g6h5j4k3;tcp
From-Path: msrp://127.0.0.1:40000/a1b2c3d4e5f6;tcp
Message-ID: m9x8c7v6
-------bind0001$
`);
const RELAY_PATH = crlf(`MSRP r3l4yp4th SEND
To-Path: msrp://relay.example.com:2855/aa;tcp msrp://bob.example.com:8888/9di4eae923wzd;tcp
From-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp
Message-ID: 4c1
Success-Report: yes
Failure-Report: partial
Byte-Range: 1-13/13
Content-Type: message/cpim

Grüße, Welt!
-------r3l4yp4th$
`);
const ABORTED = crlf(`MSRP ab0rted1 SEND
To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
Message-ID: 457
Byte-Range: 2049-2052/8000
Content-Type: text/plain

part
-------ab0rted1#
`);
const NOT_IMPLEMENTED = crlf(`MSRP x9x9x9x9 501 Not Implemented
To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp
From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp
-------x9x9x9x9$
`);

const EXAMPLES = {
  SEND_EXAMPLE,
  OK_EXAMPLE,
  CHUNK_EXAMPLE,
  REPORT_EXAMPLE,
  EMPTY_SEND,
  RELAY_PATH,
  ABORTED,
  NOT_IMPLEMENTED,
};
const ALL = Buffer.concat(Object.values(EXAMPLES));

function frames(events: ParseEvent[]): MsrpFrame[] {
  return events.flatMap((e) => (e.type === 'frame' ? [e.frame] : []));
}

function parseWhole(buf: Buffer, parser = new MsrpParser({ keepRaw: true })): ParseEvent[] {
  return parser.push(buf);
}

function parseSplit(buf: Buffer, cuts: number[], parser = new MsrpParser({ keepRaw: true })): ParseEvent[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const events: ParseEvent[] = [];
  let last = 0;
  for (const p of [...points, buf.length]) {
    events.push(...parser.push(buf.subarray(last, p)));
    last = p;
  }
  return events;
}

describe('MsrpParser', () => {
  for (const [name, bytes] of Object.entries(EXAMPLES)) {
    it(`RFC 4975 §7.1: ${name} round-trips parse→serialize exactly`, () => {
      const events = parseWhole(bytes);
      expect(events).toHaveLength(1);
      const e = events[0]!;
      expect(e.type).toBe('frame');
      if (e.type !== 'frame') return;
      expect(e.raw?.equals(bytes)).toBe(true);
      expect(serializeFrame(e.frame).equals(bytes)).toBe(true);
    });
  }

  it('RFC 4975 §7.1: start line, headers, body and flag of a SEND', () => {
    const [frame] = frames(parseWhole(SEND_EXAMPLE));
    expect(frame).toMatchObject({ kind: 'request', method: 'SEND', transactionId: 'a786hjs2', flag: '$' });
    expect(frame!.headers.map((h) => h.name)).toEqual([
      'To-Path',
      'From-Path',
      'Message-ID',
      'Byte-Range',
      'Content-Type',
    ]);
    expect(frame!.body?.toString()).toBe('Hey Bob, are you there?');
  });

  it('RFC 4975 §7.2: response start line with status and comment, no body', () => {
    const [frame] = frames(parseWhole(OK_EXAMPLE));
    expect(frame).toMatchObject({ kind: 'response', status: 200, comment: 'OK', body: undefined });
  });

  it('RFC 4975 §7.1: a body-less SEND goes from the headers straight to the end-line', () => {
    const [frame] = frames(parseWhole(EMPTY_SEND));
    expect(frame).toMatchObject({ kind: 'request', method: 'SEND', body: undefined, flag: '$' });
  });

  it('RFC 4975 §7.1: continuation flags + and # are reported', () => {
    expect(frames(parseWhole(CHUNK_EXAMPLE))[0]!.flag).toBe('+');
    expect(frames(parseWhole(ABORTED))[0]!.flag).toBe('#');
  });

  it('RFC 4975 §7.1: an empty body after the blank line may meet the end-line directly', () => {
    const bytes = crlf(`MSRP e1e1e1e1 SEND
To-Path: msrp://a.example:1/x;tcp
From-Path: msrp://b.example:2/y;tcp
Content-Type: text/plain

-------e1e1e1e1$
`);
    const events = parseWhole(bytes);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.type === 'frame' && e.frame.body?.length).toBe(0);
    expect(e.type === 'frame' && e.raw?.equals(bytes)).toBe(true);
  });

  it('protocol-notes §5: the stream fed one byte at a time parses identically to the whole', () => {
    const whole = parseWhole(ALL);
    const parser = new MsrpParser({ keepRaw: true });
    const bytewise: ParseEvent[] = [];
    for (let i = 0; i < ALL.length; i++) bytewise.push(...parser.push(ALL.subarray(i, i + 1)));
    expect(bytewise).toEqual(whole);
    expect(whole).toHaveLength(Object.keys(EXAMPLES).length);
  });

  it('protocol-notes §5: a partial end-line split at every position is kept across reads', () => {
    const endAt = SEND_EXAMPLE.length - '-------a786hjs2$\r\n'.length - 2;
    for (let cut = endAt; cut <= SEND_EXAMPLE.length; cut++) {
      const events = parseSplit(SEND_EXAMPLE, [cut]);
      expect(frames(events)[0]!.body?.toString()).toBe('Hey Bob, are you there?');
    }
  });

  it('protocol-notes §5: UTF-8 bodies are bytes; a multi-byte character split across reads survives', () => {
    const cut = RELAY_PATH.indexOf('ü') + 1;
    const [frame] = frames(parseSplit(RELAY_PATH, [cut]));
    expect(frame!.body?.toString('utf8')).toBe('Grüße, Welt!');
  });

  it('RFC 4975 §7.1.1: "-------tid" inside a body not followed by flag CRLF is body data', () => {
    const body = Buffer.from('a\r\n-------tidtid01 not an end\r\nz');
    const bytes = serializeFrame({
      kind: 'request',
      transactionId: 'tidtid01x',
      method: 'SEND',
      headers: [
        { name: 'To-Path', value: 'msrp://a.example:1/x;tcp' },
        { name: 'From-Path', value: 'msrp://b.example:2/y;tcp' },
      ],
      body,
      flag: '$',
    });
    const tweaked = Buffer.from(bytes.toString('latin1').replaceAll('tidtid01x', 'tidtid01'), 'latin1');
    const [frame] = frames(parseWhole(tweaked));
    expect(frame!.body?.toString()).toBe('a\r\n-------tidtid01 not an end\r\nz');
  });

  it('RFC 4975 §7.1: a bounded tail is kept while a large body streams in (no rescans)', () => {
    const parser = new MsrpParser({ limits: { maxChunkBytes: 4 * 1024 * 1024 } });
    parser.push(
      crlf(`MSRP big00001 SEND
To-Path: msrp://a.example:1/x;tcp
From-Path: msrp://b.example:2/y;tcp
Content-Type: application/octet-stream

`),
    );
    const block = Buffer.alloc(1000, 0x2d); // dashes: the worst case for the end-line search
    for (let i = 0; i < 2000; i++) {
      expect(parser.push(block)).toEqual([]);
      expect(parser.buffered).toBeLessThan(40);
    }
    const events = parser.push(Buffer.from('\r\n-------big00001$\r\n'));
    expect(frames(events)[0]!.body?.length).toBe(2_000_000);
  });

  it('RFC 4975 §7.3: a malformed header with a readable transaction ID gives a 400 error, then resyncs', () => {
    const bad = crlf(`MSRP bad00001 SEND
To-Path: msrp://a.example:1/x;tcp
From-Path: msrp://b.example:2/y;tcp
this is not a header
Content-Type: text/plain

body
-------bad00001$
`);
    const events = parseWhole(Buffer.concat([bad, SEND_EXAMPLE]));
    expect(events[0]).toMatchObject({
      type: 'error',
      transactionId: 'bad00001',
      method: 'SEND',
      isRequest: true,
      status: 400,
    });
    expect(events[1]).toMatchObject({ type: 'frame', frame: { transactionId: 'a786hjs2' } });
  });

  it('RFC 4975 §7.1: missing To-Path/From-Path is a 400 error', () => {
    const events = parseWhole(crlf('MSRP nopath01 SEND\nMessage-ID: 1\n-------nopath01$\n'));
    expect(events).toEqual([
      expect.objectContaining({ type: 'error', status: 400, transactionId: 'nopath01' }),
    ]);
  });

  it('RFC 4975 §9: a lower-case method is malformed (400), the stream continues', () => {
    const events = parseWhole(
      Buffer.concat([
        crlf(
          'MSRP lower001 send\nTo-Path: msrp://a:1/x;tcp\nFrom-Path: msrp://b:2/y;tcp\n-------lower001$\n',
        ),
        OK_EXAMPLE,
      ]),
    );
    expect(events[0]).toMatchObject({ type: 'error', status: 400, transactionId: 'lower001' });
    expect(events[1]).toMatchObject({ type: 'frame' });
  });

  it('lab limits: a header block over 8 KiB gives 400 and the parser skips to the end-line', () => {
    const long = `X-Long: ${'a'.repeat(9000)}`;
    const bad = crlf(`MSRP long0001 SEND
To-Path: msrp://a.example:1/x;tcp
From-Path: msrp://b.example:2/y;tcp
${long}
Content-Type: text/plain

body
-------long0001$
`);
    const events = parseSplit(Buffer.concat([bad, OK_EXAMPLE]), [100, 5000, 9100]);
    expect(events[0]).toMatchObject({ type: 'error', status: 400, transactionId: 'long0001' });
    expect(events[1]).toMatchObject({ type: 'frame', frame: { status: 200 } });
  });

  it('lab limits: a chunk over the chunk limit gives 413 and its octets are not kept', () => {
    const parser = new MsrpParser({ limits: { maxChunkBytes: 10 } });
    const events = parser.push(Buffer.concat([SEND_EXAMPLE, OK_EXAMPLE]));
    expect(events[0]).toMatchObject({
      type: 'error',
      status: 413,
      transactionId: 'a786hjs2',
      raw: undefined,
    });
    expect(events[1]).toMatchObject({ type: 'frame', frame: { status: 200 } });
  });

  it('RFC 4975 §7.3: a stream without a readable transaction ID is fatal (connection closes)', () => {
    const parser = new MsrpParser();
    expect(parser.push(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual([
      expect.objectContaining({ type: 'fatal' }),
    ]);
    expect(parser.dead).toBe(true);
    expect(parser.push(SEND_EXAMPLE)).toEqual([]);
    expect(new MsrpParser().push(Buffer.from('MSRP ##### SEND\r\n'))[0]).toMatchObject({ type: 'fatal' });
    expect(new MsrpParser().push(Buffer.alloc(9000, 0x41).fill('MSRP x', 0, 6))[0]).toMatchObject({
      type: 'fatal',
    });
  });

  it('protocol-notes §5 (fast-check): arbitrary split points give the same frames', () => {
    const whole = parseWhole(ALL);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: ALL.length }), { maxLength: 30 }), (cuts) => {
        expect(parseSplit(ALL, cuts)).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('RFC 4975 §7.1 (fast-check): generated frames round-trip through any split', () => {
    const ident = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}$/);
    const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);
    const frameArb = fc
      .record({
        tid: ident,
        isRequest: fc.boolean(),
        method: fc.constantFrom('SEND', 'REPORT', 'NICKNAME'),
        status: fc.constantFrom(200, 400, 408, 413, 415, 481, 501),
        extra: fc.array(
          fc.record({ name: fc.constantFrom('Message-ID', 'Byte-Range', 'X-Y'), value: headerValue }),
          {
            maxLength: 4,
          },
        ),
        body: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined }),
        flag: fc.constantFrom('$', '+', '#'),
      })
      .filter((r) => r.body === undefined || !Buffer.from(r.body).includes(`-------${r.tid}`))
      .map((r): MsrpFrame => {
        const headers = [
          { name: 'To-Path', value: 'msrp://a.example:1/x;tcp' },
          { name: 'From-Path', value: 'msrp://b.example:2/y;tcp' },
          ...r.extra,
        ];
        const body = r.body === undefined ? undefined : Buffer.from(r.body);
        if (body) headers.push({ name: 'Content-Type', value: 'application/octet-stream' });
        return r.isRequest
          ? { kind: 'request', transactionId: r.tid, method: r.method, headers, body, flag: r.flag as '$' }
          : { kind: 'response', transactionId: r.tid, status: r.status, headers, body, flag: r.flag as '$' };
      });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (fs, cuts) => {
          const stream = Buffer.concat(fs.map(serializeFrame));
          const got = frames(parseSplit(stream, cuts));
          expect(got).toEqual(fs);
          expect(Buffer.concat(got.map(serializeFrame)).equals(stream)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('RFC 4975 §7.3 (fast-check): arbitrary bytes never make the parser throw', () => {
    const prefix = fc.constantFrom(
      Buffer.alloc(0),
      Buffer.from('MSRP abcd1234 SEND\r\n'),
      SEND_EXAMPLE.subarray(0, 120),
    );
    fc.assert(
      fc.property(
        prefix,
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (p, bytes, cuts) => {
          const stream = Buffer.concat([p, Buffer.from(bytes)]);
          const events = parseSplit(
            stream,
            cuts,
            new MsrpParser({ limits: { maxHeaderBytes: 256, maxChunkBytes: 512 } }),
          );
          for (const e of events) expect(['frame', 'error', 'fatal']).toContain(e.type);
        },
      ),
      { numRuns: 500 },
    );
  });
});
