// IMDN documents, message/imdn+xml (RFC 5438 §7.2.1 schema), via the entity-safe XML of protocol/bodies.
import {
  BodyParseError,
  buildXml,
  childElement,
  childText,
  type XmlBuildNode,
  type XmlLimits,
  parseDateTime,
  parseXml,
} from '../bodies/index.js';
import { ImdnParseError } from './errors.js';

export const IMDN_CONTENT_TYPE = 'message/imdn+xml';
/** Older stacks label the body `message/imdn`; accepted on input (protocol-notes §6). */
export const IMDN_CONTENT_TYPE_LEGACY = 'message/imdn';
export const IMDN_XML_NS = 'urn:ietf:params:xml:ns:imdn';

export type DeliveryStatus = 'delivered' | 'failed' | 'forbidden' | 'error';
export type DisplayStatus = 'displayed' | 'forbidden' | 'error';
export type ProcessingStatus = 'processed' | 'stored' | 'forbidden' | 'error';

/** Exactly one notification element per document (RFC 5438 §7.2.1.1). */
export type ImdnNotification =
  | { kind: 'delivery'; status: DeliveryStatus }
  | { kind: 'display'; status: DisplayStatus }
  | { kind: 'processing'; status: ProcessingStatus };

export interface ImdnDocument {
  /** imdn.Message-ID of the message this notification is about. */
  messageId: string;
  /** DateTime of that message (RFC 5438 §7.2.1.1 `datetime`). */
  dateTime: Date;
  recipientUri?: string;
  originalRecipientUri?: string;
  subject?: string;
  notification: ImdnNotification;
}

const ELEMENTS = {
  delivery: { tag: 'delivery-notification', statuses: ['delivered', 'failed', 'forbidden', 'error'] },
  display: { tag: 'display-notification', statuses: ['displayed', 'forbidden', 'error'] },
  processing: { tag: 'processing-notification', statuses: ['processed', 'stored', 'forbidden', 'error'] },
} as const;

type Kind = keyof typeof ELEMENTS;
const KINDS = Object.keys(ELEMENTS) as Kind[];

/** Parse an IMDN document. Throws ImdnParseError. */
export function parseImdn(body: Buffer | string, limits?: XmlLimits): ImdnDocument {
  let root: ReturnType<typeof parseXml>;
  try {
    root = parseXml(body, limits);
  } catch (err) {
    if (err instanceof BodyParseError) {
      throw new ImdnParseError(err.code === 'too-large' ? 'too-large' : 'xml', `${err.code}: ${err.message}`);
    }
    throw err;
  }
  if (root.name !== 'imdn' || root.ns !== IMDN_XML_NS) {
    throw new ImdnParseError('schema', `RFC 5438 §7.2.1.1: expected {${IMDN_XML_NS}}imdn root`);
  }
  const messageId = childText(root, IMDN_XML_NS, 'message-id');
  if (!messageId) throw new ImdnParseError('schema', 'RFC 5438 §7.2.1.1: missing message-id');
  const dt = childText(root, IMDN_XML_NS, 'datetime');
  if (!dt) throw new ImdnParseError('schema', 'RFC 5438 §7.2.1.1: missing datetime');
  let dateTime: Date;
  try {
    dateTime = parseDateTime(dt);
  } catch {
    throw new ImdnParseError('schema', `RFC 5438 §7.2.1.1: bad datetime ${JSON.stringify(dt)}`);
  }
  const found = KINDS.filter((k) => childElement(root, IMDN_XML_NS, ELEMENTS[k].tag));
  if (found.length !== 1) {
    throw new ImdnParseError(
      'schema',
      `RFC 5438 §7.2.1.1: expected one notification element, got ${found.length}`,
    );
  }
  const kind = found[0]!;
  const el = childElement(root, IMDN_XML_NS, ELEMENTS[kind].tag)!;
  const statusEl = childElement(el, IMDN_XML_NS, 'status');
  const values = statusEl?.children.filter((c) => c.ns === IMDN_XML_NS).map((c) => c.name) ?? [];
  const status = values.find((v) => (ELEMENTS[kind].statuses as readonly string[]).includes(v));
  if (values.length !== 1 || status === undefined) {
    throw new ImdnParseError('schema', `RFC 5438 §7.2.1.1: bad ${ELEMENTS[kind].tag} status`);
  }
  const doc: ImdnDocument = { messageId, dateTime, notification: { kind, status } as ImdnNotification };
  const optional = [
    ['recipient-uri', 'recipientUri'],
    ['original-recipient-uri', 'originalRecipientUri'],
    ['subject', 'subject'],
  ] as const;
  for (const [tag, key] of optional) {
    const v = childText(root, IMDN_XML_NS, tag);
    if (v !== undefined) doc[key] = v;
  }
  return doc;
}

/** Serialise an IMDN document in the element order of the RFC 5438 §7.2.1.1 schema. */
export function buildImdn(doc: ImdnDocument): Buffer {
  const text = (name: string, value: string | undefined): XmlBuildNode[] =>
    value === undefined ? [] : [{ name, children: [value] }];
  const { kind, status } = doc.notification;
  return buildXml({
    name: 'imdn',
    attrs: { xmlns: IMDN_XML_NS },
    children: [
      ...text('message-id', doc.messageId),
      ...text('datetime', doc.dateTime.toISOString()),
      ...text('recipient-uri', doc.recipientUri),
      ...text('original-recipient-uri', doc.originalRecipientUri),
      ...text('subject', doc.subject),
      { name: ELEMENTS[kind].tag, children: [{ name: 'status', children: [{ name: status }] }] },
    ],
  });
}

/** True for `message/imdn+xml` and the legacy `message/imdn` (parameters ignored, case-insensitive). */
export function isImdnContentType(contentType: string | undefined): boolean {
  const t = contentType?.split(';')[0]?.trim().toLowerCase();
  return t === IMDN_CONTENT_TYPE || t === IMDN_CONTENT_TYPE_LEGACY;
}
