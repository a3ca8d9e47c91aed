// Safe XML on top of fast-xml-parser: size-bounded, DOCTYPE refused, entity processing off (only the five
// predefined entities and character references of XML 1.0 §4.1/§4.6 are decoded, by us), namespaces resolved.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { BodyParseError } from './errors.js';

export const DEFAULT_MAX_XML_BYTES = 1024 * 1024;

export interface XmlLimits {
  /** Largest accepted document in bytes; larger input throws BodyParseError('too-large'). */
  maxBytes?: number;
}

/** A parsed element with its namespace resolved from the xmlns declarations in scope (XML Namespaces §6). */
export interface XmlElement {
  /** Namespace URI, '' when the element is in no namespace. */
  ns: string;
  /** Local name, without prefix. */
  name: string;
  /**
   * Attributes, xmlns declarations excluded. Unprefixed attributes are keyed by their name; prefixed ones by
   * Clark notation `{namespace-uri}local` (unprefixed attributes are in no namespace, XML Namespaces §6.2).
   */
  attrs: Map<string, string>;
  children: XmlElement[];
  /** Character data directly inside the element (text and CDATA runs, each trimmed), references decoded. */
  text: string;
}

/** A node to serialise: qualified names and xmlns attributes are written as given. */
export interface XmlBuildNode {
  name: string;
  attrs?: Record<string, string | undefined>;
  children?: Array<XmlBuildNode | string>;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: '#cdata',
  allowBooleanAttributes: false,
});

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  suppressEmptyNode: true,
  format: false,
  processEntities: true,
});

/** Strict: malformed UTF-8 throws. One decoder for every call (decode() without `stream` starts afresh). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decode UTF-8 strictly; the bytes must be a well-formed UTF-8 document. */
function decodeUtf8(input: Buffer | string, maxBytes: number): string {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > maxBytes) throw new BodyParseError('too-large', `XML body of ${size} bytes exceeds ${maxBytes}`);
  if (typeof input === 'string') return input;
  try {
    return UTF8.decode(input);
  } catch {
    throw new BodyParseError('encoding', 'XML body is not valid UTF-8');
  }
}

// XML 1.0 §4.6 predefined entities and §4.1 character references. Any other reference is refused: with no
// DTD allowed, an undeclared entity is a well-formedness error (§4.1 WFC: Entity Declared).
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeXmlReferences(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]{0,32});/g, (whole, ref: string) => {
    const named = PREDEFINED[ref];
    if (named !== undefined) return named;
    const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
    if (m) {
      const cp = m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2]);
      if (cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) return String.fromCodePoint(cp);
    }
    throw new BodyParseError('entity', `undeclared or invalid reference ${whole}`);
  });
}

type OrderedNode = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse an XML document and return its root element. Throws BodyParseError. */
export function parseXml(input: Buffer | string, limits: XmlLimits = {}): XmlElement {
  const text = decodeUtf8(input, limits.maxBytes ?? DEFAULT_MAX_XML_BYTES).replace(/^\uFEFF/, '');
  // No DTDs at all: this refuses entity-expansion bombs and external entities before any parsing.
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new BodyParseError('doctype', 'DOCTYPE / ENTITY declarations are not accepted');
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    throw new BodyParseError(
      'malformed-xml',
      `${valid.err.msg} (line ${valid.err.line}, col ${valid.err.col})`,
    );
  }
  let ordered: unknown;
  try {
    ordered = parser.parse(text);
  } catch (err) {
    throw new BodyParseError('malformed-xml', err instanceof Error ? err.message : String(err));
  }
  if (!Array.isArray(ordered)) throw new BodyParseError('malformed-xml', 'no document element');
  const roots = ordered.filter(isRecord).filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1)
    throw new BodyParseError('malformed-xml', `expected one root element, got ${roots.length}`);
  return toElement(roots[0]!, new Map([['xml', XML_NS]]));
}

function elementName(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text' && k !== '#cdata');
}

function splitQName(qname: string): [prefix: string | undefined, local: string] {
  const colon = qname.indexOf(':');
  return colon >= 0 ? [qname.slice(0, colon), qname.slice(colon + 1)] : [undefined, qname];
}

function toElement(node: OrderedNode, scope: Map<string, string>): XmlElement {
  const qname = elementName(node)!;
  const rawAttrs = isRecord(node[':@']) ? node[':@'] : {};
  // The parent's scope, copied only by an element that declares a namespace (most declare none).
  let inScope = scope;
  const plain: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(rawAttrs)) {
    const value = decodeXmlReferences(String(v));
    const declared = k === 'xmlns' ? '' : k.startsWith('xmlns:') ? k.slice(6) : undefined;
    if (declared === undefined) {
      plain.push([k, value]);
      continue;
    }
    if (inScope === scope) inScope = new Map(scope);
    inScope.set(declared, value);
  }
  const [prefix, name] = splitQName(qname);
  const ns = inScope.get(prefix ?? '');
  if (prefix !== undefined && ns === undefined) {
    throw new BodyParseError('malformed-xml', `undeclared namespace prefix '${prefix}'`);
  }
  const attrs = new Map<string, string>();
  for (const [k, v] of plain) {
    const [ap, local] = splitQName(k);
    if (ap === undefined) {
      attrs.set(k, v);
      continue;
    }
    const ans = inScope.get(ap);
    if (ans === undefined) throw new BodyParseError('malformed-xml', `undeclared namespace prefix '${ap}'`);
    attrs.set(`{${ans}}${local}`, v);
  }
  const children: XmlElement[] = [];
  let text = '';
  const kids = Array.isArray(node[qname]) ? (node[qname] as unknown[]) : [];
  for (const kid of kids) {
    if (!isRecord(kid)) continue;
    if ('#text' in kid) text += decodeXmlReferences(String(kid['#text']));
    else if ('#cdata' in kid) text += cdataText(kid['#cdata']);
    else if (elementName(kid) !== undefined) children.push(toElement(kid, inScope));
  }
  return { ns: ns ?? '', name, attrs, children, text: text.trim() };
}

function cdataText(v: unknown): string {
  if (!Array.isArray(v)) return '';
  return v.map((n) => (isRecord(n) && '#text' in n ? String(n['#text']) : '')).join('');
}

/** Serialise a node tree as a UTF-8 document with an XML declaration; text and attributes are escaped. */
export function buildXml(root: XmlBuildNode): Buffer {
  const body = builder.build([toOrdered(root)]) as string;
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`, 'utf8');
}

function toOrdered(node: XmlBuildNode): OrderedNode {
  const kids = (node.children ?? []).map((c) => (typeof c === 'string' ? { '#text': c } : toOrdered(c)));
  const out: OrderedNode = { [node.name]: kids };
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.attrs ?? {})) if (v !== undefined) attrs[k] = v;
  if (Object.keys(attrs).length > 0) out[':@'] = attrs;
  return out;
}

// ---- reading helpers ----

export function childElements(el: XmlElement, ns: string, name: string): XmlElement[] {
  return el.children.filter((c) => c.ns === ns && c.name === name);
}

export function childElement(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return el.children.find((c) => c.ns === ns && c.name === name);
}

export function childText(el: XmlElement, ns: string, name: string): string | undefined {
  return childElement(el, ns, name)?.text;
}

/** A namespaced attribute: `attr(el, 'copyControl', COPY_CONTROL_NS)`. */
export function attr(el: XmlElement, name: string, ns?: string): string | undefined {
  return el.attrs.get(ns ? `{${ns}}${name}` : name);
}

/** The attribute `name` or throw BodyParseError('schema'). */
export function requireAttr(el: XmlElement, name: string, what: string): string {
  const v = el.attrs.get(name);
  if (v === undefined) throw new BodyParseError('schema', `${what}: missing attribute '${name}'`);
  return v;
}

export function expectRoot(el: XmlElement, ns: string, name: string): void {
  if (el.name !== name || el.ns !== ns) {
    throw new BodyParseError('schema', `expected root {${ns}}${name}, got {${el.ns}}${el.name}`);
  }
}
