// TCP connections of a timeline and which side opened each one. A trace records messages, not SYNs, so
// the opener is inferred: a listener talks to several peers; a well-known port listens, an ephemeral one
// (RFC 6335 §6: 49152–65535; Linux also uses 32768–60999) connects; else the first sender opened it
// (a SIP client's REGISTER, the MSRP a=setup:active side's first SEND, RFC 4975 §5.4).

import type { WireAddress, WireProtocol } from '../../protocol/trace/index.js';
import { formatEndpoint } from './endpoints.js';
import type { Hop } from './merge.js';

export interface TcpConnection {
  /** `initiator acceptor` as formatEndpoint writes them. */
  key: string;
  protocol: WireProtocol;
  initiator: WireAddress;
  acceptor: WireAddress;
}

const EPHEMERAL_FROM = 32_768;

/** Every TCP connection of these hops, in order of its first hop, keyed by the unordered endpoint pair. */
export function tcpConnections(hops: readonly Hop[]): Map<string, TcpConnection> {
  const peers = new Map<string, Set<string>>();
  const firsts = new Map<string, Hop>();
  for (const hop of hops) {
    if (hop.transport !== 'tcp') continue;
    const src = formatEndpoint(hop.src);
    const dst = formatEndpoint(hop.dst);
    addPeer(peers, src, dst);
    addPeer(peers, dst, src);
    const pair = pairKey(src, dst);
    if (!firsts.has(pair)) firsts.set(pair, hop);
  }
  const connections = new Map<string, TcpConnection>();
  for (const [pair, first] of firsts) {
    const forward = opensForward(first, peers);
    const initiator = forward ? first.src : first.dst;
    const acceptor = forward ? first.dst : first.src;
    connections.set(pair, {
      key: `${formatEndpoint(initiator)} ${formatEndpoint(acceptor)}`,
      protocol: first.protocol,
      initiator: { ...initiator },
      acceptor: { ...acceptor },
    });
  }
  return connections;
}

/** The unordered pair key tcpConnections uses. */
export function connectionKeyOf(hop: Hop): string {
  return pairKey(formatEndpoint(hop.src), formatEndpoint(hop.dst));
}

/** True when the first hop's sender opened the connection. */
function opensForward(first: Hop, peers: Map<string, Set<string>>): boolean {
  const srcPeers = peers.get(formatEndpoint(first.src))!.size;
  const dstPeers = peers.get(formatEndpoint(first.dst))!.size;
  if (srcPeers !== dstPeers) return dstPeers > srcPeers;
  const srcEphemeral = first.src.port >= EPHEMERAL_FROM;
  const dstEphemeral = first.dst.port >= EPHEMERAL_FROM;
  if (srcEphemeral !== dstEphemeral) return srcEphemeral;
  return true;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

function addPeer(peers: Map<string, Set<string>>, endpoint: string, peer: string): void {
  const set = peers.get(endpoint);
  if (set) set.add(peer);
  else peers.set(endpoint, new Set([peer]));
}
