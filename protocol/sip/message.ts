// SIP message model (RFC 3261 §7): start line, ordered header fields as received, Buffer body.
// Header values are kept as raw strings so that parse→serialize is exact; typed accessors parse on use.
import { parseCSeq, type CSeq } from './cseq.js';
import { SipParseError } from './errors.js';
import { canonicalHeaderName, isListHeader, normalizeHeaderName, splitHeaderList } from './header-names.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { parseUri, type Uri } from './uri.js';
import { parseVia, type Via } from './via.js';

export const SIP_VERSION = 'SIP/2.0';
const EMPTY = Buffer.alloc(0);

export interface SipHeader {
  /** The name as received or as set (compact forms are kept on input). */
  name: string;
  value: string;
}

type ParsedSlot = 'via' | 'from' | 'to' | 'cseq';

abstract class SipMessageBase {
  readonly headers: SipHeader[];
  body: Buffer;
  version: string;
  /** See #parsed(). */
  #memo: Partial<Record<ParsedSlot, { raw: string; value: unknown }>> = {};

  constructor(headers: SipHeader[] = [], body: Buffer = EMPTY, version = SIP_VERSION) {
    this.headers = headers;
    this.body = body;
    this.version = version;
  }

  abstract readonly isRequest: boolean;

  /** Header fields named `name` (compact and full forms match each other), in order. */
  fields(name: string): SipHeader[] {
    const key = normalizeHeaderName(name);
    return this.headers.filter((h) => normalizeHeaderName(h.name) === key);
  }

  has(name: string): boolean {
    const key = normalizeHeaderName(name);
    return this.headers.some((h) => normalizeHeaderName(h.name) === key);
  }

  /** The first field's whole value, as received. */
  get(name: string): string | undefined {
    const key = normalizeHeaderName(name);
    for (const h of this.headers) if (normalizeHeaderName(h.name) === key) return h.value;
    return undefined;
  }

  /**
   * Every value of `name`: comma-separated list headers (Via, Contact, Route...) are split into
   * their elements across all fields (RFC 3261 §7.3.1); other headers give one value per field.
   */
  getAll(name: string): string[] {
    const values = this.fields(name).map((h) => h.value);
    return isListHeader(name) ? values.flatMap(splitHeaderList) : values;
  }

  /** Replace every field named `name` by one field, at the first one's position (or at the end). */
  set(name: string, value: string | number): this {
    const key = normalizeHeaderName(name);
    const text = String(value);
    const first = this.headers.findIndex((h) => normalizeHeaderName(h.name) === key);
    this.remove(name);
    const field = { name: canonicalHeaderName(name), value: text };
    if (first >= 0) this.headers.splice(first, 0, field);
    else this.headers.push(field);
    return this;
  }

  append(name: string, value: string | number): this {
    this.headers.push({ name: canonicalHeaderName(name), value: String(value) });
    return this;
  }

  /** Insert a field before the first field of the same name (top Via, top Record-Route). */
  prepend(name: string, value: string | number): this {
    const key = normalizeHeaderName(name);
    const first = this.headers.findIndex((h) => normalizeHeaderName(h.name) === key);
    const field = { name: canonicalHeaderName(name), value: String(value) };
    if (first >= 0) this.headers.splice(first, 0, field);
    else this.headers.push(field);
    return this;
  }

  remove(name: string): this {
    const key = normalizeHeaderName(name);
    for (let i = this.headers.length - 1; i >= 0; i--) {
      if (normalizeHeaderName(this.headers[i]!.name) === key) this.headers.splice(i, 1);
    }
    return this;
  }

  /** Remove the first element of a list header (the top Via, RFC 3261 §16.7 step 3, §18.1.2). */
  removeFirstValue(name: string): string | undefined {
    const key = normalizeHeaderName(name);
    const i = this.headers.findIndex((h) => normalizeHeaderName(h.name) === key);
    if (i < 0) return undefined;
    const field = this.headers[i]!;
    const items = splitHeaderList(field.value);
    const first = items.shift();
    if (items.length) field.value = items.join(', ');
    else this.headers.splice(i, 1);
    return first;
  }

  // ---- typed accessors (parse on use; throw SipParseError on malformed values) ----

  get callId(): string {
    return requireHeader(this, 'call-id').trim();
  }

  get cseq(): CSeq {
    return this.#parsed('cseq', requireHeader(this, 'cseq'), parseCSeq);
  }

  get from(): NameAddr {
    return this.#parsed('from', requireHeader(this, 'from'), parseNameAddr);
  }

  get to(): NameAddr {
    return this.#parsed('to', requireHeader(this, 'to'), parseNameAddr);
  }

  get fromTag(): string | undefined {
    return tagOf(this.from);
  }

  get toTag(): string | undefined {
    return tagOf(this.to);
  }

  get vias(): Via[] {
    return this.getAll('via').map(parseVia);
  }

  get topVia(): Via {
    const first = this.#topViaText();
    if (first === undefined) throw new SipParseError('missing-header', 'missing Via');
    return this.#parsed('via', first, parseVia);
  }

  /** Drop what #parsed() keeps (a message a transaction holds only to absorb retransmissions, 64*T1). */
  releaseParsed(): void {
    this.#memo = {};
  }

  /** The first Via element (RFC 3261 §7.3.1: a field may hold several), without splitting the others. */
  #topViaText(): string | undefined {
    for (const h of this.headers) {
      if (normalizeHeaderName(h.name) !== 'via') continue;
      const first = h.value.includes(',') ? splitHeaderList(h.value)[0] : h.value.trim();
      if (first) return first;
    }
    return undefined;
  }

  /**
   * The parsed value of a header field, parsed again only when its text changed: the stack reads the top Via,
   * From, To and CSeq of a message several times. The object is shared by those reads; code that changes it
   * writes it back into the message (as replaceTopVia does), which changes the text.
   */
  #parsed<T>(slot: ParsedSlot, raw: string, parse: (raw: string) => T): T {
    const hit = this.#memo[slot];
    if (hit !== undefined && hit.raw === raw) return hit.value as T;
    const value = parse(raw);
    this.#memo[slot] = { raw, value };
    return value;
  }

  get contacts(): NameAddr[] {
    return this.getAll('contact')
      .filter((v) => v !== '*')
      .map(parseNameAddr);
  }

  get contentType(): string | undefined {
    return this.get('content-type')?.trim();
  }

  /** Content-Type without parameters, lower case: `application/sdp`. */
  get mediaType(): string | undefined {
    const type = this.contentType;
    return type === undefined ? undefined : (type.split(';')[0] ?? '').trim().toLowerCase();
  }

  abstract clone(): SipMessage;
}

function tagOf(na: NameAddr): string | undefined {
  const tag = na.params.get('tag');
  return typeof tag === 'string' ? tag : undefined;
}

function requireHeader(msg: SipMessageBase, name: string): string {
  const value = msg.get(name);
  if (value === undefined) throw new SipParseError('missing-header', `missing ${canonicalHeaderName(name)}`);
  return value;
}

export class SipRequest extends SipMessageBase {
  readonly isRequest = true as const;
  method: string;
  /** Request-URI exactly as written on the start line. */
  uri: string;

  constructor(method: string, uri: string, headers?: SipHeader[], body?: Buffer, version?: string) {
    super(headers, body, version);
    this.method = method;
    this.uri = uri;
  }

  get requestUri(): Uri {
    return parseUri(this.uri);
  }

  clone(): SipRequest {
    return new SipRequest(
      this.method,
      this.uri,
      this.headers.map((h) => ({ ...h })),
      this.body,
      this.version,
    );
  }
}

export class SipResponse extends SipMessageBase {
  readonly isRequest = false as const;
  status: number;
  reason: string;

  constructor(status: number, reason: string, headers?: SipHeader[], body?: Buffer, version?: string) {
    super(headers, body, version);
    this.status = status;
    this.reason = reason;
  }

  clone(): SipResponse {
    return new SipResponse(
      this.status,
      this.reason,
      this.headers.map((h) => ({ ...h })),
      this.body,
      this.version,
    );
  }
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(msg: SipMessage): msg is SipRequest {
  return msg.isRequest;
}
