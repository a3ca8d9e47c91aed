// URI lists, application/resource-lists+xml (RFC 4826 §3), with copy control attributes (RFC 5364 §4).
import { BodyParseError } from './errors.js';
import {
  attr,
  buildXml,
  childElements,
  childText,
  expectRoot,
  parseXml,
  requireAttr,
  type XmlBuildNode,
  type XmlElement,
  type XmlLimits,
} from './xml.js';

export const RESOURCE_LISTS_CONTENT_TYPE = 'application/resource-lists+xml';
export const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';
export const COPY_CONTROL_NS = 'urn:ietf:params:xml:ns:copycontrol';

/** RFC 5364 §4.1 copyControl; absent means the recipient is not told (treat as `to`, §4.1). */
export type CopyControl = 'to' | 'cc' | 'bcc';

export interface ResourceListEntry {
  uri: string;
  displayName?: string;
  copyControl?: CopyControl;
  /** RFC 5364 §4.2 `cp:anonymize`. */
  anonymize?: boolean;
}

export interface ResourceList {
  name?: string;
  displayName?: string;
  entries: ResourceListEntry[];
  /** Nested `<list>` elements (RFC 4826 §3.2). `<external>` and `<entry-ref>` are ignored on input. */
  lists: ResourceList[];
}

export interface ResourceLists {
  lists: ResourceList[];
}

const NS = RESOURCE_LISTS_NS;
const COPY_CONTROLS: readonly CopyControl[] = ['to', 'cc', 'bcc'];

/** Parse a resource-lists document. Throws BodyParseError. */
export function parseResourceLists(body: Buffer | string, limits?: XmlLimits): ResourceLists {
  const root = parseXml(body, limits);
  expectRoot(root, NS, 'resource-lists');
  return { lists: childElements(root, NS, 'list').map(readList) };
}

function readList(el: XmlElement): ResourceList {
  const list: ResourceList = { entries: [], lists: [] };
  const name = attr(el, 'name');
  if (name !== undefined) list.name = name;
  const display = childText(el, NS, 'display-name');
  if (display !== undefined) list.displayName = display;
  list.entries = childElements(el, NS, 'entry').map(readEntry);
  list.lists = childElements(el, NS, 'list').map(readList);
  return list;
}

function readEntry(el: XmlElement): ResourceListEntry {
  const entry: ResourceListEntry = { uri: requireAttr(el, 'uri', 'entry') };
  const display = childText(el, NS, 'display-name');
  if (display !== undefined) entry.displayName = display;
  const cc = attr(el, 'copyControl', COPY_CONTROL_NS);
  if (cc !== undefined) {
    if (!(COPY_CONTROLS as readonly string[]).includes(cc)) {
      throw new BodyParseError('schema', `RFC 5364 §4.1: bad copyControl ${JSON.stringify(cc)}`);
    }
    entry.copyControl = cc as CopyControl;
  }
  const anonymize = attr(el, 'anonymize', COPY_CONTROL_NS);
  if (anonymize !== undefined) entry.anonymize = anonymize === 'true' || anonymize === '1';
  return entry;
}

/** Serialise; the `cp` prefix is declared only when an entry uses a copy control attribute. */
export function buildResourceLists(doc: ResourceLists): Buffer {
  const usesCp = allEntries(doc).some((e) => e.copyControl !== undefined || e.anonymize !== undefined);
  return buildXml({
    name: 'resource-lists',
    attrs: { xmlns: NS, 'xmlns:cp': usesCp ? COPY_CONTROL_NS : undefined },
    children: doc.lists.map(listNode),
  });
}

function listNode(list: ResourceList): XmlBuildNode {
  return {
    name: 'list',
    attrs: { name: list.name },
    children: [
      ...(list.displayName !== undefined ? [{ name: 'display-name', children: [list.displayName] }] : []),
      ...list.entries.map(entryNode),
      ...list.lists.map(listNode),
    ],
  };
}

function entryNode(e: ResourceListEntry): XmlBuildNode {
  return {
    name: 'entry',
    attrs: {
      uri: e.uri,
      'cp:copyControl': e.copyControl,
      'cp:anonymize': e.anonymize === undefined ? undefined : String(e.anonymize),
    },
    children: e.displayName !== undefined ? [{ name: 'display-name', children: [e.displayName] }] : [],
  };
}

/** Every entry of every list, depth first, in document order. */
export function allEntries(doc: ResourceLists): ResourceListEntry[] {
  const out: ResourceListEntry[] = [];
  const walk = (l: ResourceList): void => {
    out.push(...l.entries);
    l.lists.forEach(walk);
  };
  doc.lists.forEach(walk);
  return out;
}

/** A one-list document of recipients, e.g. for a group-creation INVITE (protocol-notes §7, RFC 5366 §3). */
export function recipientList(entries: ResourceListEntry[]): ResourceLists {
  return { lists: [{ entries, lists: [] }] };
}
