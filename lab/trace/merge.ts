// Merge per-node trace records into one timeline of hops: the sender's 'out' and the receiver's 'in' view
// of the same bytes become one hop; a message seen by one side only (a peer outside the lab) stays, with
// the unknown peer named by its address. Order: causal per node, then by time.

import type { WireAddress, WireProtocol, WireTransport } from '../../protocol/trace/index.js';
import type { TraceRecord } from '../../runtime/index.js';
import { EndpointNames, sameEndpoint } from './endpoints.js';
import { messageLabel } from './labels.js';
import { msrpEndSessionIds, sdpMsrpSessionIds } from './group.js';

/** One message on the wire between two endpoints, as the lab saw it. */
export interface Hop {
  /** Position in the merged timeline, from 0. */
  index: number;
  protocol: WireProtocol;
  transport: WireTransport;
  /** Sending node: a lab node name, a configured peer name, or the address (`127.0.0.1:5070`). */
  from: string;
  /** Receiving node, named the same way. */
  to: string;
  /** Sender's socket address. */
  src: WireAddress;
  /** Receiver's socket address. */
  dst: WireAddress;
  /** When the sender sent it (its clock); absent when only the receiver recorded it. */
  sentAt?: number;
  /** When the receiver got it (its clock); absent when only the sender recorded it. */
  receivedAt?: number;
  /** sentAt, else receivedAt: the time the timeline shows. */
  time: number;
  /** Which views were recorded. */
  seenBy: 'both' | 'sender' | 'receiver';
  /** The bytes (the longer of the two recorded copies when a recorder cut them). */
  raw: Buffer;
  /** Length of the original message (> raw.length when cut). */
  rawLength: number;
  startLine: string;
  callId?: string;
  msrpTransactionId?: string;
  /** `INVITE`, `200 OK (INVITE)`, `MSRP SEND`, `MSRP 200`. */
  label: string;
  /** The records merged into this hop. */
  out?: TraceRecord;
  in?: TraceRecord;
}

export interface MergeOptions {
  /**
   * Largest |receivedAt − sentAt| for the two views of one message to be merged (ms, default 250): covers
   * delivery latency and clock skew between nodes, below SIP's retransmit interval T1 (RFC 3261 §17.1.1.1).
   */
  matchWindowMs?: number;
  /** Names for endpoints outside the lab, keyed by `address:port` or address (e.g. `{'127.0.0.1:5070': 'sipp'}`). */
  peerNames?: Readonly<Record<string, string>>;
}

export const DEFAULT_MATCH_WINDOW_MS = 250;

/** Merge the records of all nodes (any order, any mix) into one timeline. */
export function mergeTraces(records: Iterable<TraceRecord>, options: MergeOptions = {}): Hop[] {
  const window = options.matchWindowMs ?? DEFAULT_MATCH_WINDOW_MS;
  const all = [...records];
  const names = new EndpointNames(all, options.peerNames);
  const pairs = pairViews(all, window);
  const hops = pairs.map(([out, inn]) => toHop(out, inn, names));
  nameMsrpPeersBySession(hops, names);
  const ordered = causalOrder(hops);
  ordered.forEach((hop, i) => {
    hop.index = i;
  });
  return ordered;
}

/**
 * MSRP hops recorded on one side only, where the side that recorded nothing has an address that a lab node's
 * records claim: that side is named by the MSRP session it belongs to instead. An address alone can name the
 * wrong party: a peer that records nothing (an implementation under test, SIPp) may connect from an
 * ephemeral port that a lab node used for an earlier connection in the same run. To-Path and From-Path name
 * the sessions of the hop's two ends (RFC 4975 §9), and the SDP a=path of the SIP offer or answer (RFC 4975
 * §8.2) says whose session each is: the sender of the earliest hop carrying it. Other one-sided hops keep
 * their address or configured peer name.
 */
function nameMsrpPeersBySession(hops: readonly Hop[], names: EndpointNames): void {
  // Cheap first: most timelines have no such hop (every lab node records both its ends).
  const suspects: Array<{ hop: Hop; from: boolean; to: boolean }> = [];
  for (const hop of hops) {
    if (hop.protocol !== 'msrp') continue;
    const from = !hop.out && names.nodeAt(hop.src) !== undefined;
    const to = !hop.in && names.nodeAt(hop.dst) !== undefined;
    if (from || to) suspects.push({ hop, from, to });
  }
  if (suspects.length === 0) return;
  const owners = new Map<string, { name: string; time: number }>();
  for (const hop of hops) {
    for (const id of sdpMsrpSessionIds(hop)) {
      const known = owners.get(id);
      if (!known || hop.time < known.time) owners.set(id, { name: hop.from, time: hop.time });
    }
  }
  const ownerOf = (id: string | undefined) => (id === undefined ? undefined : owners.get(id)?.name);
  for (const { hop, from, to } of suspects) {
    const ends = msrpEndSessionIds(hop);
    if (from) hop.from = ownerOf(ends?.from) ?? hop.from;
    if (to) hop.to = ownerOf(ends?.to) ?? hop.to;
  }
}

/** Flatten the per-node lists a lab collects (e.g. `Object.values(traces)`) and merge them. */
export function mergeNodeTraces(lists: Iterable<Iterable<TraceRecord>>, options: MergeOptions = {}): Hop[] {
  const all: TraceRecord[] = [];
  for (const list of lists) for (const r of list) all.push(r);
  return mergeTraces(all, options);
}

type Pair = [out: TraceRecord | undefined, inn: TraceRecord | undefined];

/** Pairs each 'out' with the nearest-in-time unmatched 'in' of the same bytes between the same endpoints. */
function pairViews(records: readonly TraceRecord[], window: number): Pair[] {
  // Bucket by what both views agree on exactly; addresses are compared inside (wildcard binds).
  const key = (r: TraceRecord, src: WireAddress, dst: WireAddress): string =>
    `${r.protocol}|${r.transport}|${src.port}>${dst.port}|${r.rawLength}`;
  const inbound = new Map<string, TraceRecord[]>();
  for (const r of records) {
    if (r.direction !== 'in') continue;
    const k = key(r, r.remote, r.local);
    const list = inbound.get(k);
    if (list) list.push(r);
    else inbound.set(k, [r]);
  }
  const matched = new Set<TraceRecord>();
  const pairs: Pair[] = [];
  const outs = records.filter((r) => r.direction === 'out').sort(byTimeThenId);
  for (const out of outs) {
    let best: TraceRecord | undefined;
    let bestDelta = Number.POSITIVE_INFINITY;
    for (const candidate of inbound.get(key(out, out.local, out.remote)) ?? []) {
      const delta = Math.abs(candidate.time - out.time);
      if (delta > window || delta >= bestDelta || matched.has(candidate)) continue;
      if (!sameEndpoint(candidate.remote, out.local) || !sameEndpoint(candidate.local, out.remote)) continue;
      if (!sameBytes(candidate.raw, out.raw)) continue;
      best = candidate;
      bestDelta = delta;
    }
    if (best) matched.add(best);
    pairs.push([out, best]);
  }
  for (const r of records) if (r.direction === 'in' && !matched.has(r)) pairs.push([undefined, r]);
  return pairs;
}

/** Equal bytes, allowing one copy to be a recorder-cut prefix of the other (lengths already equal). */
function sameBytes(a: Buffer, b: Buffer): boolean {
  const n = Math.min(a.length, b.length);
  return a.subarray(0, n).equals(b.subarray(0, n));
}

function toHop(out: TraceRecord | undefined, inn: TraceRecord | undefined, names: EndpointNames): Hop {
  const first = (out ?? inn)!;
  const src = out ? out.local : inn!.remote;
  const dst = out ? out.remote : inn!.local;
  const raw = out && inn ? (out.raw.length >= inn.raw.length ? out.raw : inn.raw) : first.raw;
  const hop: Hop = {
    index: 0,
    protocol: first.protocol,
    transport: first.transport,
    from: out ? out.node : names.nameOf(src),
    to: inn ? inn.node : names.nameOf(dst),
    src: { ...src },
    dst: { ...dst },
    time: out ? out.time : inn!.time,
    seenBy: out && inn ? 'both' : out ? 'sender' : 'receiver',
    raw,
    rawLength: first.rawLength,
    startLine: first.startLine,
    label: messageLabel({ protocol: first.protocol, startLine: first.startLine, raw }),
  };
  if (out) hop.sentAt = out.time;
  if (inn) hop.receivedAt = inn.time;
  const callId = out?.callId ?? inn?.callId;
  if (callId !== undefined) hop.callId = callId;
  const tid = out?.msrpTransactionId ?? inn?.msrpTransactionId;
  if (tid !== undefined) hop.msrpTransactionId = tid;
  if (out) hop.out = out;
  if (inn) hop.in = inn;
  return hop;
}

/**
 * Timeline order. Each node's own records are in true order (one clock), so a hop comes after every hop
 * its sender or receiver recorded before it; among hops free to go next, the earliest time wins. Clocks
 * of different nodes may be skewed, so a response whose sender's clock lags still follows its request.
 * Crossing messages make the per-node orders disagree (A: sent m0, got m1; B: sent m1, got m0): then each
 * node's sends keep their order and the earlier one goes first.
 */
function causalOrder(hops: readonly Hop[]): Hop[] {
  const byNode = new Map<string, TraceRecord[]>();
  const hopOf = new Map<TraceRecord, Hop>();
  for (const hop of hops) {
    for (const record of [hop.out, hop.in]) {
      if (!record) continue;
      hopOf.set(record, hop);
      const list = byNode.get(record.node);
      if (list) list.push(record);
      else byNode.set(record.node, [record]);
    }
  }
  const chains: { node: string; hops: Hop[]; at: number }[] = [];
  const chainsOf = new Map<Hop, number[]>();
  for (const [node, list] of byNode) {
    list.sort(byTimeThenId);
    const chainIndex = chains.length;
    const chainHops: Hop[] = [];
    for (const record of list) {
      const hop = hopOf.get(record)!;
      if (chainHops[chainHops.length - 1] === hop) continue; // a node sending to itself
      chainHops.push(hop);
      const of = chainsOf.get(hop) ?? [];
      of.push(chainIndex);
      chainsOf.set(hop, of);
    }
    chains.push({ node, hops: chainHops, at: 0 });
  }
  const done = new Set<Hop>();
  const headOf = (c: { hops: Hop[]; at: number }): Hop | undefined => {
    while (c.at < c.hops.length && done.has(c.hops[c.at]!)) c.at++;
    return c.hops[c.at];
  };
  const result: Hop[] = [];
  for (;;) {
    // The earliest of: the hop at the head of all its chains, and (crossing messages) the hop at the head of
    // its sender's chain, so every node's sends keep their order; else the earliest head.
    let free: Hop | undefined;
    let sendable: Hop | undefined;
    let earliest: Hop | undefined;
    for (const chain of chains) {
      const hop = headOf(chain);
      if (!hop) continue;
      if (!earliest || earlier(hop, earliest)) earliest = hop;
      const heads = chainsOf.get(hop)!.filter((c) => headOf(chains[c]!) === hop);
      if (heads.length === chainsOf.get(hop)!.length) {
        if (!free || earlier(hop, free)) free = hop;
      } else if (hop.out && heads.some((c) => chains[c]!.node === hop.out!.node)) {
        if (!sendable || earlier(hop, sendable)) sendable = hop;
      }
    }
    // A crossing resolved by its earlier send goes before later free hops: otherwise hops seen by one side
    // only (a peer that records nothing, such as an external CSCF) would all run ahead of it.
    const chosen =
      (free && sendable ? (earlier(sendable, free) ? sendable : free) : (free ?? sendable)) ?? earliest;
    if (!chosen) return result;
    done.add(chosen);
    result.push(chosen);
  }
}

function earlier(a: Hop, b: Hop): boolean {
  return a.time < b.time || (a.time === b.time && tieBreak(a) < tieBreak(b));
}

function tieBreak(hop: Hop): number {
  return (hop.out ?? hop.in)!.id;
}

function byTimeThenId(a: TraceRecord, b: TraceRecord): number {
  return a.time - b.time || a.id - b.id;
}
