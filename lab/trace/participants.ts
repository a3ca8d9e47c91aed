// A stable left-to-right order of the parties in a ladder: clients, then the network nodes (cscf, pf),
// then peers outside the lab.

import type { Hop } from './merge.js';

export interface ParticipantOptions {
  /** Names to put first, in this order (only those that occur). */
  participants?: readonly string[];
  /** Lab nodes on the network side, placed after the clients in this order (default `['cscf', 'pf']`). */
  networkNodes?: readonly string[];
}

export const DEFAULT_NETWORK_NODES: readonly string[] = ['cscf', 'pf'];

/**
 * Every party of these hops. Lab nodes (those with records) other than the network nodes are clients,
 * sorted by name; peers outside the lab come last in order of first appearance.
 */
export function participantOrder(hops: readonly Hop[], options: ParticipantOptions = {}): string[] {
  const network = options.networkNodes ?? DEFAULT_NETWORK_NODES;
  const labNodes = new Set<string>();
  const appearance: string[] = [];
  const seen = new Set<string>();
  for (const hop of hops) {
    if (hop.out) labNodes.add(hop.out.node);
    if (hop.in) labNodes.add(hop.in.node);
    for (const name of [hop.from, hop.to]) {
      if (!seen.has(name)) {
        seen.add(name);
        appearance.push(name);
      }
    }
  }
  const first = (options.participants ?? []).filter((p) => seen.has(p));
  const placed = new Set(first);
  const clients = appearance.filter((n) => labNodes.has(n) && !network.includes(n) && !placed.has(n)).sort();
  const networkPresent = network.filter((n) => seen.has(n) && !placed.has(n));
  const rest = appearance.filter((n) => !labNodes.has(n) && !network.includes(n) && !placed.has(n));
  return [...first, ...clients, ...networkPresent, ...rest];
}
