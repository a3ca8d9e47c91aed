// imdn.* CPIM headers (RFC 5438 §6.3 Message-ID, §6.2 / §9.1 Disposition-Notification).
import { randomHex } from '../random/index.js';
import type { HeaderField } from '../bodies/index.js';
import {
  type CpimMessage,
  findHeader,
  findHeaders,
  formatCpimAddress,
  IMDN_NS,
  type NsDeclaration,
  parseCpimAddress,
} from '../cpim/index.js';

export const IMDN_NS_DECLARATION: NsDeclaration = { prefix: 'imdn', urn: IMDN_NS };

/** RFC 5438 §9.1 disposition types that can be requested. */
export type DispositionRequest = 'positive-delivery' | 'negative-delivery' | 'processing' | 'display';

const REQUESTS: readonly DispositionRequest[] = [
  'positive-delivery',
  'negative-delivery',
  'processing',
  'display',
];

/** RFC 5438 §6.3: a fresh Message-ID with well over 32 bits of randomness (24 hex digits). */
export function newImdnMessageId(): string {
  return randomHex(12);
}

/**
 * Parse `positive-delivery, negative-delivery, display`: comma-separated, case-insensitive, de-duplicated.
 * Unknown values and parameters after `;` are ignored (RFC 5438 §9.1 extensibility).
 */
export function parseDispositionNotification(value: string): DispositionRequest[] {
  const out: DispositionRequest[] = [];
  for (const item of value.split(',')) {
    const token = item.split(';')[0]!.trim().toLowerCase();
    if ((REQUESTS as readonly string[]).includes(token) && !out.includes(token as DispositionRequest)) {
      out.push(token as DispositionRequest);
    }
  }
  return out;
}

export function formatDispositionNotification(requests: readonly DispositionRequest[]): string {
  return requests.join(', ');
}

/** The `imdn.Message-ID` (and, if any requested, `imdn.Disposition-Notification`) headers for createCpim. */
export function imdnHeaders(messageId: string, requests: readonly DispositionRequest[] = []): HeaderField[] {
  const headers: HeaderField[] = [{ name: 'imdn.Message-ID', value: messageId }];
  if (requests.length > 0) {
    headers.push({ name: 'imdn.Disposition-Notification', value: formatDispositionNotification(requests) });
  }
  return headers;
}

/** The message's imdn.Message-ID, whatever prefix the sender declared (RFC 3862 §3.4). */
export function imdnMessageId(msg: CpimMessage): string | undefined {
  return findHeader(msg, IMDN_NS, 'Message-ID');
}

/** The notifications the sender asked for; [] when the header is absent. */
export function dispositionRequests(msg: CpimMessage): DispositionRequest[] {
  const v = findHeader(msg, IMDN_NS, 'Disposition-Notification');
  return v === undefined ? [] : parseDispositionNotification(v);
}

/**
 * RFC 5438 §4 (IMDN-Record-Route): the URIs intermediaries recorded in the message, top first, in the order
 * they appear. Values that are not `[name] <URI>` are skipped (a route we cannot read is no route).
 */
export function imdnRecordRoute(msg: CpimMessage): string[] {
  const out: string[] = [];
  for (const value of findHeaders(msg, IMDN_NS, 'IMDN-Record-Route')) {
    try {
      out.push(parseCpimAddress(value).uri);
    } catch {
      // skipped, see above
    }
  }
  return out;
}

/** RFC 5438 §4: the recipient copies IMDN-Record-Route into IMDN-Route of its IMDN, keeping the order. */
export function imdnRouteHeaders(route: readonly string[]): HeaderField[] {
  return route.map((uri) => ({ name: 'imdn.IMDN-Route', value: formatCpimAddress({ uri }) }));
}
