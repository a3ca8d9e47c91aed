// tshark / Wireshark "Decode As" hints for an exported trace. Wireshark 4.0 finds SIP by port 5060 and by
// its UDP/TCP heuristics, and MSRP by its TCP heuristic or an SDP a=path it saw; forcing the ports makes
// the export decode the same whatever the user's heuristic preferences and ports are.

import { tcpConnections } from './connections.js';
import type { Hop } from './merge.js';

export interface DecodeAsEntry {
  /** Wireshark decode-as table and value: `tcp.port`, `udp.port`. */
  table: 'tcp.port' | 'udp.port';
  port: number;
  protocol: 'sip' | 'msrp';
}

/**
 * One entry per port a SIP or MSRP peer listens on: the accepting side of each TCP connection (as the
 * pcap export opens it, see tcpConnections), and every UDP port that received SIP.
 */
export function decodeAsEntries(hops: readonly Hop[]): DecodeAsEntry[] {
  const entries = new Map<string, DecodeAsEntry>();
  const add = (entry: DecodeAsEntry): void => {
    entries.set(`${entry.table}==${entry.port},${entry.protocol}`, entry);
  };
  for (const c of tcpConnections(hops).values())
    add({ table: 'tcp.port', port: c.acceptor.port, protocol: c.protocol });
  for (const hop of hops) {
    if (hop.transport === 'udp') add({ table: 'udp.port', port: hop.dst.port, protocol: hop.protocol });
  }
  return [...entries.values()].sort(
    (x, y) => x.table.localeCompare(y.table) || x.port - y.port || x.protocol.localeCompare(y.protocol),
  );
}

/** tshark arguments: `['-d', 'tcp.port==7394,msrp', '-d', 'udp.port==5060,sip', …]`. */
export function tsharkDecodeAsArgs(hops: readonly Hop[]): string[] {
  return decodeAsEntries(hops).flatMap((e) => ['-d', `${e.table}==${e.port},${e.protocol}`]);
}

/**
 * Lines for Wireshark's `decode_as_entries` profile file (Analyze › Decode As… saves the same format):
 * `decode_as_entry: tcp.port,7394,(none),MSRP`.
 */
export function wiresharkDecodeAsEntries(hops: readonly Hop[]): string[] {
  return decodeAsEntries(hops).map(
    (e) => `decode_as_entry: ${e.table},${e.port},(none),${e.protocol.toUpperCase()}`,
  );
}
