// Endpoint addresses of trace records: normalisation (IPv4-mapped IPv6, wildcard binds), display form, and
// which lab node owns an address (learnt from the records' own local addresses).

import { isIPv4, isIPv6 } from 'node:net';
import type { WireAddress } from '../../protocol/trace/index.js';
import type { TraceRecord } from '../../runtime/index.js';

/** Lower case, without an IPv6 zone, and `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2) as plain IPv4. */
export function normalizeAddress(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped ? mapped[1]! : a;
}

/** A wildcard bind (`0.0.0.0`, `::`): such a local address matches any address on its port. */
export function isUnspecifiedAddress(address: string): boolean {
  const a = normalizeAddress(address);
  return a === '' || a === '0.0.0.0' || a === '::';
}

/** `127.0.0.1:5060`, `[::1]:5060` (RFC 3986 §3.2.2 brackets for IPv6). */
export function formatEndpoint(endpoint: WireAddress): string {
  const a = normalizeAddress(endpoint.address);
  return `${isIPv6(a) ? `[${a}]` : a}:${endpoint.port}`;
}

/** Same socket address, a wildcard bind matching any address on the same port. */
export function sameEndpoint(a: WireAddress, b: WireAddress): boolean {
  if (a.port !== b.port) return false;
  if (isUnspecifiedAddress(a.address) || isUnspecifiedAddress(b.address)) return true;
  return normalizeAddress(a.address) === normalizeAddress(b.address);
}

export function isIpAddress(address: string): boolean {
  const a = normalizeAddress(address);
  return isIPv4(a) || isIPv6(a);
}

/** Names the node behind an address: a lab node if one of its records has it as local address, else a peer name. */
export class EndpointNames {
  readonly #exact = new Map<string, Map<string, number>>();
  readonly #wildcard = new Map<number, Map<string, number>>();
  readonly #peerNames: ReadonlyMap<string, string>;
  /** The name of every endpoint no node owns and no other peer name matches (peer key `*`). */
  readonly #fallback: string | undefined;

  /**
   * @param peerNames names for endpoints outside the lab, keyed by `address:port` (as formatEndpoint writes it)
   *   or by bare address, e.g. `{ '127.0.0.1:5070': 'sipp' }`; key `*` names every endpoint left (the one
   *   implementation under test, whose addresses the lab does not know in advance).
   */
  constructor(records: Iterable<TraceRecord>, peerNames: Readonly<Record<string, string>> = {}) {
    for (const r of records) {
      const counts = isUnspecifiedAddress(r.local.address)
        ? getOrAdd(this.#wildcard, r.local.port)
        : getOrAdd(this.#exact, formatEndpoint(r.local));
      counts.set(r.node, (counts.get(r.node) ?? 0) + 1);
    }
    const peers = new Map<string, string>();
    this.#fallback = peerNames['*'];
    for (const [key, name] of Object.entries(peerNames)) {
      if (key === '*') continue;
      const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(key);
      const asEndpoint =
        m && isIpAddress(m[1]!) ? formatEndpoint({ address: m[1]!, port: Number(m[2]) }) : null;
      peers.set(asEndpoint ?? normalizeAddress(key), name);
    }
    this.#peerNames = peers;
  }

  /** The lab node that owns this endpoint, if any (the one with the most records there). */
  nodeAt(endpoint: WireAddress): string | undefined {
    return (
      mostFrequent(this.#exact.get(formatEndpoint(endpoint))) ??
      mostFrequent(this.#wildcard.get(endpoint.port))
    );
  }

  /** A lab node name, else a configured peer name, else the address itself (`127.0.0.1:5070`). */
  nameOf(endpoint: WireAddress): string {
    const formatted = formatEndpoint(endpoint);
    return (
      this.nodeAt(endpoint) ??
      this.#peerNames.get(formatted) ??
      this.#peerNames.get(normalizeAddress(endpoint.address)) ??
      this.#fallback ??
      formatted
    );
  }
}

function getOrAdd<K>(map: Map<K, Map<string, number>>, key: K): Map<string, number> {
  let value = map.get(key);
  if (!value) {
    value = new Map();
    map.set(key, value);
  }
  return value;
}

function mostFrequent(counts: Map<string, number> | undefined): string | undefined {
  let best: string | undefined;
  let bestCount = 0;
  for (const [node, count] of counts ?? []) {
    if (count > bestCount) {
      best = node;
      bestCount = count;
    }
  }
  return best;
}
