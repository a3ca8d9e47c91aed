import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyParseError } from './errors.js';
import { getHeader } from './headers.js';
import { bodyOfType, buildMultipart, parseMultipart } from './multipart.js';
import { buildResourceLists, parseResourceLists, recipientList } from './resource-lists.js';

const SDP = Buffer.from(
  'v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
    'm=message 9 TCP/MSRP *\r\na=path:msrp://127.0.0.1:7000/s1;tcp\r\n',
);

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof BodyParseError) return err.code;
    throw err;
  }
  return undefined;
}

describe('multipart/mixed (RFC 2046 §5.1)', () => {
  it('protocol-notes §7: INVITE body with SDP and a recipient-list part round-trips', () => {
    const list = buildResourceLists(
      recipientList([
        { uri: 'sip:bob@ims.lab', copyControl: 'to' },
        { uri: 'sip:carol@ims.lab', copyControl: 'to' },
      ]),
    );
    const { contentType, body } = buildMultipart([
      { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: SDP },
      {
        headers: [
          { name: 'Content-Type', value: 'application/resource-lists+xml' },
          { name: 'Content-Disposition', value: 'recipient-list' },
        ],
        body: list,
      },
    ]);
    expect(contentType).toMatch(/^multipart\/mixed;boundary=/);
    const parts = parseMultipart(body, contentType);
    expect(parts).toHaveLength(2);
    expect(getHeader(parts[0]!.headers, 'content-type')).toBe('application/sdp');
    expect(parts[0]!.body.equals(SDP)).toBe(true);
    expect(getHeader(parts[1]!.headers, 'Content-Disposition')).toBe('recipient-list');
    expect(parseResourceLists(parts[1]!.body).lists[0]!.entries.map((e) => e.uri)).toEqual([
      'sip:bob@ims.lab',
      'sip:carol@ims.lab',
    ]);
  });

  it('RFC 2046 §5.1.1: preamble, epilogue, transport padding and a quoted boundary are handled', () => {
    const body = Buffer.from(
      'preamble\r\n--a b\r\nContent-Type: text/plain\r\n\r\none\r\n--a b  \r\n\r\ntwo\r\n--a b--\r\nepilogue',
    );
    const parts = parseMultipart(body, 'multipart/mixed; boundary="a b"');
    expect(parts.map((p) => p.body.toString())).toEqual(['one', 'two']);
    expect(parts[1]!.headers).toEqual([]);
  });

  it('RFC 2046 §5.1.1: a line merely starting with the boundary text is not a delimiter', () => {
    const body = Buffer.from('--b\r\n\r\nx\r\n--bee\r\n--b--\r\n');
    expect(parseMultipart(body, 'multipart/mixed;boundary=b')[0]!.body.toString()).toBe('x\r\n--bee');
  });

  it('malformed multipart bodies are typed errors', () => {
    expect(code(() => parseMultipart(Buffer.from('--b\r\n\r\nx'), 'multipart/mixed;boundary=b'))).toBe(
      'multipart',
    );
    expect(code(() => parseMultipart(Buffer.from('no delimiters'), 'multipart/mixed;boundary=b'))).toBe(
      'multipart',
    );
    expect(code(() => parseMultipart(Buffer.from('--b--\r\n'), 'multipart/mixed;boundary=b'))).toBe(
      'multipart',
    );
    expect(code(() => parseMultipart(Buffer.from('x'), 'multipart/mixed'))).toBe('multipart');
    expect(code(() => parseMultipart(Buffer.from('x'), 'text/plain;boundary=b'))).toBe('multipart');
    expect(code(() => parseMultipart(Buffer.from('x'), 'garbage'))).toBe('media-type');
    expect(
      code(() =>
        parseMultipart(Buffer.from('--b\r\nNoColon\r\n\r\nx\r\n--b--'), 'multipart/mixed;boundary=b'),
      ),
    ).toBe('multipart');
  });

  it('oversize body and too many parts are refused', () => {
    const { contentType, body } = buildMultipart([
      { headers: [], body: Buffer.alloc(100) },
      { headers: [], body: Buffer.alloc(1) },
    ]);
    expect(code(() => parseMultipart(body, contentType, { maxBytes: 50 }))).toBe('too-large');
    expect(code(() => parseMultipart(body, contentType, { maxParts: 1 }))).toBe('too-large');
  });

  it('property: parse ∘ build is the identity for arbitrary Buffer parts', () => {
    const part = fc.record({
      headers: fc.array(
        fc.record({
          name: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/),
          value: fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/),
        }),
        { maxLength: 3 },
      ),
      body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const built = buildMultipart(parts);
        const parsed = parseMultipart(built.body, built.contentType);
        expect(parsed).toEqual(parts);
      }),
    );
  });
});

describe('bodyOfType (RFC 2046 §5.1, RFC 5366: the SDP beside a resource list)', () => {
  const sdp = Buffer.from('v=0\r\n');
  const list = Buffer.from('<resource-lists/>');
  const { body, contentType } = buildMultipart([
    { headers: [{ name: 'Content-Type', value: 'Application/SDP' }], body: sdp },
    { headers: [{ name: 'Content-Type', value: 'application/resource-lists+xml' }], body: list },
  ]);

  it('the body itself when its Content-Type is the type (parameters and case do not matter)', () => {
    expect(bodyOfType(sdp, 'application/sdp; charset=utf-8', 'application/sdp')).toBe(sdp);
    expect(bodyOfType(sdp, 'APPLICATION/SDP', 'application/sdp')).toBe(sdp);
  });

  it('the first part of that type of a multipart body; undefined when there is none', () => {
    expect(bodyOfType(body, contentType, 'application/sdp')?.equals(sdp)).toBe(true);
    expect(bodyOfType(body, contentType, 'application/resource-lists+xml')?.equals(list)).toBe(true);
    expect(bodyOfType(body, contentType, 'text/plain')).toBeUndefined();
    expect(bodyOfType(sdp, 'text/plain', 'application/sdp')).toBeUndefined();
    expect(bodyOfType(sdp, undefined, 'application/sdp')).toBeUndefined();
  });
});
