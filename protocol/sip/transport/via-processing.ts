// Via handling of the transport layer: client sent-by (RFC 3261 §18.1.1), server received/rport
// (RFC 3261 §18.2.1, RFC 3581 §4) and where a response goes (RFC 3261 §18.2.2, RFC 3581 §4).
import { isIPv4, isIPv6 } from 'node:net';
import { SipParseError } from '../errors.js';
import { normalizeHeaderName, splitHeaderList } from '../header-names.js';
import { rememberAnswers } from '../text-memo.js';
import type { SipMessage } from '../message.js';
import { formatVia, type Via } from '../via.js';
import type { Endpoint, TransportKind } from './types.js';

/** RFC 3261 §18.2.2, §19.1.2: default port for sip: over UDP and TCP. */
export const DEFAULT_SIP_PORT = 5060;

/**
 * Strip IPv6 brackets and IPv4-mapped prefixes so that addresses compare as the socket reports them. Remembered
 * (text-memo.ts): every datagram's source address is a new string, and a waiting transaction keeps its source
 * for 64*T1, so the same few addresses are shared, not copied.
 */
export const normalizeAddress: (address: string) => string = rememberAnswers(
  (address) => {
    let a = address.trim();
    if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
    return mapped ? mapped[1]! : a.toLowerCase();
  },
  1024,
  64,
);

/** A host as it appears in a Via sent-by or a URI: IPv6 in brackets. */
export function hostForVia(address: string): string {
  const a = normalizeAddress(address);
  return isIPv6(a) ? `[${a}]` : a;
}

export function isIpAddress(host: string): boolean {
  const a = normalizeAddress(host);
  return isIPv4(a) || isIPv6(a);
}

/** Replace the top Via value in place, keeping the header's position (and any further Vias). */
export function replaceTopVia(message: SipMessage, via: Via): void {
  const field = message.headers.find((h) => normalizeHeaderName(h.name) === 'via');
  if (!field) throw new SipParseError('missing-header', 'missing Via');
  const items = splitHeaderList(field.value);
  items[0] = formatVia(via);
  field.value = items.join(', ');
}

/**
 * RFC 3261 §18.2.1: add `received` when the sent-by host is a name or differs from the packet source;
 * RFC 3581 §4: if `rport` is present without a value, fill it with the source port and always add
 * `received`. Modifies the request's top Via in place; throws SipParseError if it cannot be read.
 */
export function stampReceived(message: SipMessage, remote: Endpoint): void {
  const via = message.topVia;
  const source = normalizeAddress(remote.address);
  const rport = via.params.get('rport');
  const wantsRport = via.params.has('rport') && (rport === null || rport === '');
  let changed = false;
  if (wantsRport) {
    via.params.set('rport', String(remote.port));
    via.params.set('received', source);
    changed = true;
  } else if (normalizeAddress(via.host) !== source) {
    via.params.set('received', source);
    changed = true;
  }
  if (changed) replaceTopVia(message, via);
}

/**
 * Where an unreliable-transport response goes, from the response's top Via (RFC 3261 §18.2.2, RFC 3581 §4):
 * maddr → maddr:port; rport with a value → received:rport; received → received:sent-by port;
 * else sent-by host:port. The default port is 5060.
 */
export function udpResponseDestination(via: Via): Endpoint {
  const port = via.port ?? DEFAULT_SIP_PORT;
  const maddr = via.params.get('maddr');
  if (typeof maddr === 'string' && maddr) return { address: normalizeAddress(maddr), port };
  const received = via.params.get('received');
  const rport = via.params.get('rport');
  const rportNumber = typeof rport === 'string' && /^\d{1,5}$/.test(rport) ? Number(rport) : undefined;
  if (typeof received === 'string' && received) {
    return { address: normalizeAddress(received), port: rportNumber ?? port };
  }
  return { address: normalizeAddress(via.host), port: rportNumber ?? port };
}

/**
 * RFC 3261 §18.2.2: when the connection a request arrived on is gone, open one to `received`
 * (or the sent-by host) at the sent-by port (default 5060).
 */
export function tcpResponseFallback(via: Via): Endpoint {
  const received = via.params.get('received');
  const address = typeof received === 'string' && received ? received : via.host;
  return { address: normalizeAddress(address), port: via.port ?? DEFAULT_SIP_PORT };
}

/**
 * RFC 3261 §18.1.1: the top Via of a request names the transport actually used and the sent-by where
 * responses should go. Sets the transport token, and the sent-by when `sentBy` is given. When
 * `rport` is true (RFC 3581 §3) an empty rport parameter is added if absent.
 */
export function setTopViaTransport(
  message: SipMessage,
  transport: TransportKind,
  sentBy?: Endpoint,
  options: { rport?: boolean } = {},
): void {
  const via = message.topVia;
  via.transport = transport.toUpperCase();
  if (sentBy) {
    via.host = hostForVia(sentBy.address);
    via.port = sentBy.port;
  }
  if (options.rport && !via.params.has('rport')) via.params.set('rport');
  replaceTopVia(message, via);
}
