import { describe, expect, it } from 'vitest';
import { cpimFrom, cpimTo, findHeader, IMDN_NS, parseCpim, serializeCpim } from '../cpim/index.js';
import {
  buildImdn,
  type ImdnDocument,
  type ImdnNotification,
  isImdnContentType,
  parseImdn,
} from './document.js';
import { ImdnParseError } from './errors.js';
import { dispositionRequests, imdnMessageId, parseDispositionNotification } from './headers.js';
import { buildImdnCpim, isImdnCpim, readImdnCpim } from './notification.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ImdnParseError) return err.code;
    throw err;
  }
  return undefined;
}

const BASE = {
  messageId: '0b1d4f0e5c2a4e8a',
  dateTime: new Date('2026-11-24T10:15:00.000Z'),
  recipientUri: 'sip:alice@ims.lab',
  originalRecipientUri: 'sip:group-7@ims.lab',
  subject: 'Team',
};

const NOTIFICATIONS: ImdnNotification[] = [
  { kind: 'delivery', status: 'delivered' },
  { kind: 'delivery', status: 'failed' },
  { kind: 'delivery', status: 'forbidden' },
  { kind: 'delivery', status: 'error' },
  { kind: 'display', status: 'displayed' },
  { kind: 'display', status: 'forbidden' },
  { kind: 'display', status: 'error' },
  { kind: 'processing', status: 'processed' },
  { kind: 'processing', status: 'stored' },
  { kind: 'processing', status: 'forbidden' },
  { kind: 'processing', status: 'error' },
];

const wrap = (inner: string): string =>
  `<imdn xmlns="urn:ietf:params:xml:ns:imdn"><message-id>m1</message-id><datetime>2026-11-24T10:15:00Z</datetime>${inner}</imdn>`;

describe('IMDN documents (RFC 5438 §7.2.1)', () => {
  it.each(NOTIFICATIONS.map((n) => [`${n.kind}/${n.status}`, n] as const))(
    'RFC 5438 §7.2.1.1: %s round-trips',
    (_name, notification) => {
      const doc: ImdnDocument = { ...BASE, notification };
      const xml = buildImdn(doc);
      expect(xml.toString()).toContain('<imdn xmlns="urn:ietf:params:xml:ns:imdn">');
      expect(parseImdn(xml)).toEqual(doc);
    },
  );

  it('RFC 5438 §7.2.1.1: optional elements may be absent; a prefixed document is read too', () => {
    const doc = parseImdn(
      `<i:imdn xmlns:i="urn:ietf:params:xml:ns:imdn"><i:message-id>m1</i:message-id><i:datetime>2026-11-24T11:15:00+01:00</i:datetime>
       <i:display-notification><i:status><i:displayed/></i:status></i:display-notification></i:imdn>`,
    );
    expect(doc).toEqual({
      messageId: 'm1',
      dateTime: new Date('2026-11-24T10:15:00Z'),
      notification: { kind: 'display', status: 'displayed' },
    });
  });

  it('malformed IMDN documents are typed errors', () => {
    const delivered = '<delivery-notification><status><delivered/></status></delivery-notification>';
    expect(code(() => parseImdn(wrap('')))).toBe('schema');
    expect(
      code(() =>
        parseImdn(
          wrap(delivered + '<display-notification><status><displayed/></status></display-notification>'),
        ),
      ),
    ).toBe('schema');
    expect(
      code(() =>
        parseImdn(wrap('<display-notification><status><delivered/></status></display-notification>')),
      ),
    ).toBe('schema');
    expect(code(() => parseImdn(wrap('<delivery-notification><status/></delivery-notification>')))).toBe(
      'schema',
    );
    expect(code(() => parseImdn(`<imdn>${delivered}</imdn>`))).toBe('schema');
    expect(code(() => parseImdn(wrap(delivered).replace('2026-11-24T10:15:00Z', 'now')))).toBe('schema');
    expect(code(() => parseImdn(wrap(delivered).replace('<message-id>m1</message-id>', '')))).toBe('schema');
    expect(code(() => parseImdn('<imdn'))).toBe('xml');
  });

  it('entity expansion is off: a DOCTYPE bomb is refused, oversize is refused', () => {
    const bomb = `<!DOCTYPE imdn [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>${wrap('<subject>&b;</subject>')}`;
    expect(code(() => parseImdn(bomb))).toBe('xml');
    expect(code(() => parseImdn(wrap('x'.repeat(1000)), { maxBytes: 200 }))).toBe('too-large');
  });

  it('protocol-notes §6: message/imdn is tolerated as a content type on input', () => {
    expect(isImdnContentType('message/imdn+xml')).toBe(true);
    expect(isImdnContentType('Message/IMDN')).toBe(true);
    expect(isImdnContentType('message/imdn+xml; charset=utf-8')).toBe(true);
    expect(isImdnContentType('text/plain')).toBe(false);
  });
});

describe('imdn.* CPIM headers (RFC 5438 §6)', () => {
  it('RFC 5438 §9.1: Disposition-Notification lists are parsed case-insensitively; unknown values ignored', () => {
    expect(parseDispositionNotification('positive-delivery, negative-delivery, display')).toEqual([
      'positive-delivery',
      'negative-delivery',
      'display',
    ]);
    expect(parseDispositionNotification('Display,display ,x-foo;a=b, processing')).toEqual([
      'display',
      'processing',
    ]);
    expect(parseDispositionNotification('')).toEqual([]);
  });

  it('RFC 5438 §7.1.1: a notification is wrapped in CPIM with Content-Disposition notification and a fresh Message-ID', () => {
    const original = parseCpim(
      Buffer.from(
        'From: <sip:bob@ims.lab>\r\nTo: <sip:group-7@ims.lab>\r\nNS: imdn <urn:ietf:params:imdn>\r\n' +
          'imdn.Message-ID: 0b1d4f0e5c2a4e8a\r\nDateTime: 2026-11-24T10:15:00.000Z\r\n' +
          'imdn.Disposition-Notification: positive-delivery, display\r\n\r\nContent-Type: text/plain\r\n\r\nHello team',
      ),
    );
    expect(dispositionRequests(original)).toEqual(['positive-delivery', 'display']);
    const a = buildImdnCpim({
      from: { uri: 'sip:alice@ims.lab' },
      to: cpimFrom(original)!,
      notification: {
        messageId: imdnMessageId(original)!,
        dateTime: new Date('2026-11-24T10:15:00.000Z'),
        recipientUri: 'sip:alice@ims.lab',
        notification: { kind: 'delivery', status: 'delivered' },
      },
    });
    const b = buildImdnCpim({
      from: { uri: 'sip:alice@ims.lab' },
      to: { uri: 'sip:bob@ims.lab' },
      notification: parseImdn(a.content),
    });
    const wire = parseCpim(serializeCpim(a));
    expect(cpimTo(wire)).toEqual([{ uri: 'sip:bob@ims.lab' }]);
    expect(wire.contentHeaders).toEqual([
      { name: 'Content-Type', value: 'message/imdn+xml' },
      { name: 'Content-Disposition', value: 'notification' },
    ]);
    const id = findHeader(wire, IMDN_NS, 'Message-ID')!;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(id).not.toBe('0b1d4f0e5c2a4e8a');
    expect(imdnMessageId(b)).not.toBe(id);
    expect(isImdnCpim(wire)).toBe(true);
    expect(readImdnCpim(wire).messageId).toBe('0b1d4f0e5c2a4e8a');
    expect(isImdnCpim(original)).toBe(false);
    expect(code(() => readImdnCpim(original))).toBe('not-imdn');
  });
});
