// Header names: compact forms (RFC 3261 §7.3.3 and later RFCs) and canonical spelling for output.
import { rememberAnswers } from './text-memo.js';

/** Compact form → full name, lower case. RFC 3261 §7.3.3, RFC 3265, RFC 3515, RFC 3841, RFC 4028, RFC 3892. */
const COMPACT_TO_FULL: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** Canonical spelling used when the stack itself writes a header. */
const CANONICAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'conversation-id': 'Conversation-ID',
  'contribution-id': 'Contribution-ID',
  'inreplyto-contribution-id': 'InReplyTo-Contribution-ID',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
  'p-asserted-service': 'P-Asserted-Service',
  'p-preferred-service': 'P-Preferred-Service',
  rseq: 'RSeq',
  rack: 'RAck',
};

/**
 * Headers whose values may be combined as a comma-separated list (RFC 3261 §7.3.1).
 * Authorization-family headers and those with unquoted commas in their grammar are absent on purpose.
 */
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'service-route',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-contact',
  'reject-contact',
  'allow',
  'allow-events',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'in-reply-to',
  'content-encoding',
  'content-language',
  'p-asserted-identity',
  'p-associated-uri',
  'p-asserted-service',
  'p-preferred-service',
  'reason',
  'warning',
  'security-client',
  'security-server',
  'security-verify',
]);

/** Names remembered (text-memo.ts): the same few spellings recur in every message. */
const MAX_REMEMBERED_NAMES = 1024;
const MAX_REMEMBERED_NAME_LENGTH = 64;

/** Lower-case full name of a header: `i` → `call-id`, `Call-Id` → `call-id`. */
export const normalizeHeaderName: (name: string) => string = rememberAnswers(
  (name) => {
    const lower = name.toLowerCase();
    return COMPACT_TO_FULL[lower] ?? lower;
  },
  MAX_REMEMBERED_NAMES,
  MAX_REMEMBERED_NAME_LENGTH,
);

/** The conventional spelling of a header name, for headers the stack writes itself (every message asks again). */
export const canonicalHeaderName: (name: string) => string = rememberAnswers(
  (name) => {
    const full = normalizeHeaderName(name);
    return (
      CANONICAL[full] ??
      full.replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase())
    );
  },
  MAX_REMEMBERED_NAMES,
  MAX_REMEMBERED_NAME_LENGTH,
);

export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(normalizeHeaderName(name));
}

/**
 * Split a header value on top-level commas: commas inside double quotes, angle brackets or
 * parentheses (comments) do not split. Whitespace around items is trimmed; empty items dropped.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuotes = false;
  let angle = 0;
  let paren = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuotes) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inQuotes = false;
      continue;
    }
    if (ch === 0x22) inQuotes = true;
    else if (ch === 0x3c /* < */) angle++;
    else if (ch === 0x3e /* > */ && angle > 0) angle--;
    else if (ch === 0x28 /* ( */) paren++;
    else if (ch === 0x29 /* ) */ && paren > 0) paren--;
    else if (ch === 0x2c /* , */ && angle === 0 && paren === 0) {
      const item = value.slice(start, i).trim();
      if (item) out.push(item);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}
