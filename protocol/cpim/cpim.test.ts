import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCpimAddress, parseCpimAddress } from './address.js';
import { CpimParseError } from './errors.js';
import {
  cpimContentType,
  cpimDateTime,
  cpimFrom,
  cpimSubject,
  cpimTo,
  createCpim,
  findHeader,
  parseCpim,
  serializeCpim,
} from './message.js';
import { IMDN_NS } from './ns.js';

// protocol-notes §6, with the CRLF line ends of the wire.
const EXAMPLE = [
  'From: <sip:bob@ims.lab>',
  'To: <sip:group-7@ims.lab>',
  'NS: imdn <urn:ietf:params:imdn>',
  'imdn.Message-ID: 0b1d4f0e5c2a4e8a',
  'DateTime: 2026-11-24T10:15:00.000Z',
  'imdn.Disposition-Notification: positive-delivery, display',
  '',
  'Content-Type: text/plain;charset=utf-8',
  '',
  'Hello team',
].join('\r\n');

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CpimParseError) return err.code;
    throw err;
  }
  return undefined;
}

describe('message/cpim (RFC 3862)', () => {
  it('protocol-notes §6: the example parses and serialises back byte for byte', () => {
    const msg = parseCpim(Buffer.from(EXAMPLE));
    expect(cpimFrom(msg)).toEqual({ uri: 'sip:bob@ims.lab' });
    expect(cpimTo(msg)).toEqual([{ uri: 'sip:group-7@ims.lab' }]);
    expect(cpimDateTime(msg)?.toISOString()).toBe('2026-11-24T10:15:00.000Z');
    expect(findHeader(msg, IMDN_NS, 'Message-ID')).toBe('0b1d4f0e5c2a4e8a');
    expect(findHeader(msg, IMDN_NS, 'Disposition-Notification')).toBe('positive-delivery, display');
    expect(cpimContentType(msg)).toBe('text/plain;charset=utf-8');
    expect(msg.content.toString()).toBe('Hello team');
    expect(serializeCpim(msg).toString()).toBe(EXAMPLE);
  });

  it('RFC 3862 §3.4: imdn.Message-ID is found whatever prefix the sender declared', () => {
    const other = EXAMPLE.replace('NS: imdn <', 'NS: x <').replaceAll('imdn.', 'x.');
    const msg = parseCpim(Buffer.from(other));
    expect(findHeader(msg, IMDN_NS, 'message-id')).toBe('0b1d4f0e5c2a4e8a');
    // An undeclared prefix resolves to nothing.
    const undeclared = parseCpim(Buffer.from(EXAMPLE.replace('NS: imdn <urn:ietf:params:imdn>\r\n', '')));
    expect(findHeader(undeclared, IMDN_NS, 'Message-ID')).toBeUndefined();
  });

  it('RFC 3862 §3.3.1: From/To with display names; bare LF line ends tolerated', () => {
    const text =
      'From: "Bob B." <sip:bob@ims.lab>\nTo: Team <sip:group-7@ims.lab>\nSubject:;lang=en Hi\n\nContent-Type: text/plain\n\nx';
    const msg = parseCpim(Buffer.from(text));
    expect(cpimFrom(msg)).toEqual({ displayName: 'Bob B.', uri: 'sip:bob@ims.lab' });
    expect(cpimTo(msg)).toEqual([{ displayName: 'Team', uri: 'sip:group-7@ims.lab' }]);
    expect(cpimSubject(msg)).toBe('Hi');
    expect(formatCpimAddress({ displayName: 'a "b"', uri: 'sip:a@b' })).toBe('"a \\"b\\"" <sip:a@b>');
    expect(parseCpimAddress(formatCpimAddress({ displayName: 'a "b"', uri: 'sip:a@b' }))).toEqual({
      displayName: 'a "b"',
      uri: 'sip:a@b',
    });
  });

  it('RFC 3862 §2: binary content is kept as bytes', () => {
    const content = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0xc3]);
    const msg = createCpim({
      from: { uri: 'sip:alice@ims.lab' },
      to: { uri: 'sip:group-7@ims.lab' },
      contentType: 'application/octet-stream',
      contentHeaders: [{ name: 'Content-ID', value: '<part1@ims.lab>' }],
      content,
    });
    const back = parseCpim(serializeCpim(msg));
    expect(back.content.equals(content)).toBe(true);
    expect(back).toEqual(msg);
  });

  it('createCpim writes core headers, NS and extension headers in order', () => {
    const msg = createCpim({
      from: { uri: 'sip:bob@ims.lab' },
      to: [{ uri: 'sip:group-7@ims.lab' }],
      cc: [{ uri: 'sip:carol@ims.lab' }],
      dateTime: new Date('2026-11-24T10:15:00Z'),
      subject: 'Hi',
      namespaces: [{ prefix: 'imdn', urn: IMDN_NS }],
      require: ['imdn.Disposition-Notification'],
      headers: [{ name: 'imdn.Message-ID', value: 'abc' }],
      contentType: 'text/plain',
      content: Buffer.from('x'),
    });
    expect(msg.headers.map((h) => h.name)).toEqual([
      'From',
      'To',
      'cc',
      'DateTime',
      'Subject',
      'NS',
      'Require',
      'imdn.Message-ID',
    ]);
    expect(findHeader(parseCpim(serializeCpim(msg)), IMDN_NS, 'Message-ID')).toBe('abc');
  });

  it('malformed CPIM bodies are typed errors', () => {
    expect(code(() => parseCpim(Buffer.from('From: <sip:a@b>\r\n')))).toBe('malformed');
    expect(code(() => parseCpim(Buffer.from('From: <sip:a@b>\r\n\r\nContent-Type: text/plain')))).toBe(
      'malformed',
    );
    expect(code(() => parseCpim(Buffer.from('\r\nContent-Type: text/plain\r\n\r\nx')))).toBe('malformed');
    expect(code(() => parseCpim(Buffer.from('no colon here\r\n\r\n\r\n')))).toBe('malformed');
    expect(code(() => parseCpim(Buffer.from('From: sip bob\r\n\r\n\r\n')))).toBe('address');
    expect(code(() => parseCpim(Buffer.from('To: <sip:a@b\r\n\r\n\r\n')))).toBe('address');
    expect(code(() => parseCpim(Buffer.from('DateTime: yesterday\r\n\r\n\r\n')))).toBe('datetime');
    expect(code(() => parseCpim(Buffer.from('NS: imdn urn:x\r\n\r\n\r\n')))).toBe('ns');
    expect(
      code(() =>
        serializeCpim({
          headers: [{ name: 'A', value: 'x\r\ny' }],
          contentHeaders: [],
          content: Buffer.alloc(0),
        }),
      ),
    ).toBe('header');
  });

  it('oversize CPIM body is refused', () => {
    expect(code(() => parseCpim(Buffer.from(EXAMPLE), { maxBytes: 64 }))).toBe('too-large');
  });

  it('property: parse ∘ serialize is the identity', () => {
    const field = fc.record({
      name: fc.stringMatching(/^([a-z]{1,6}\.)?[A-Za-z][A-Za-z0-9-]{0,15}$/),
      value: fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/),
    });
    const safe = field.filter((f) => !/^(from|to|cc|datetime|ns)$/i.test(f.name));
    fc.assert(
      fc.property(
        fc.array(safe, { maxLength: 6 }),
        fc.array(field, { maxLength: 3 }),
        fc.uint8Array({ maxLength: 200 }),
        (extra, contentHeaders, bytes) => {
          const msg = {
            headers: [{ name: 'From', value: '<sip:bob@ims.lab>' }, ...extra],
            contentHeaders,
            content: Buffer.from(bytes),
          };
          expect(parseCpim(serializeCpim(msg))).toEqual(msg);
        },
      ),
    );
  });
});
