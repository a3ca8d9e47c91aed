// Where each lab node's control API is: the lab API's only knowledge of the nodes (embedded or Compose),
// and the SIP servers of the lab that are not nodes (an external CSCF).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { parseHostPort } from '../../runtime/index.js';

export type NodeRole = 'cscf' | 'pf' | 'client';

export interface LabNode {
  /** `cscf`, `pf`, or the client's user name (`alice`). */
  name: string;
  role: NodeRole;
  controlUrl: string;
}

/**
 * A SIP server of the lab that is not a lab node: no control API and no trace of its own (an external CSCF
 * such as Kamailio). The lab shows it by name; its messages are seen from the nodes it talks to.
 */
export interface ExternalPeer {
  name: string;
  role: NodeRole;
  /**
   * Where it takes SIP: `127.0.0.1:5060` (its outgoing TCP connections leave from the same port); `*` for
   * the implementation under test, named at every address no lab node owns (docs/sut.md).
   */
  sip: string;
  /** What it is: `Kamailio 5.6.3`. */
  product: string;
  note?: string;
}

/** Names for the trace merge (lab/trace MergeOptions.peerNames): each peer's SIP address → its name. */
export function peerNames(peers: readonly ExternalPeer[]): Record<string, string> {
  return Object.fromEntries(peers.map((p) => [p.sip, p.name]));
}

/** Parse `name=url` pairs (`cscf=http://cscf:8081`); the role is implied by the name. */
export function parseNodeList(pairs: readonly string[]): LabNode[] {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`expected name=url, got "${pair}"`);
    const name = pair.slice(0, eq);
    const url = pair.slice(eq + 1).replace(/\/+$/, '');
    try {
      new URL(url);
    } catch {
      throw new Error(`not a URL for node ${name}: "${url}"`);
    }
    return { name, role: name === 'cscf' ? 'cscf' : name === 'pf' ? 'pf' : 'client', controlUrl: url };
  });
}

/**
 * Parse `name=host:port[,product]` peers (`cscf=cscf:5060,Kamailio (Debian package)`). The host is resolved
 * now: the trace names a peer by the address its messages carry.
 */
export async function parsePeerList(specs: readonly string[]): Promise<ExternalPeer[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const m = /^([a-z][a-z0-9._-]*)=([^,]+)(?:,(.+))?$/i.exec(spec.trim());
      if (!m) throw new Error(`expected name=host:port[,product], got "${spec}"`);
      const name = m[1]!;
      const address = parseHostPort(m[2]!, { name: `peer ${name}`, defaultPort: 5060 });
      let host = address.host;
      if (!isIP(host)) {
        try {
          host = (await lookup(host)).address;
        } catch (err) {
          throw new Error(`peer ${name}: cannot resolve ${address.host}: ${(err as Error).message}`);
        }
      }
      const role: NodeRole = name === 'pf' ? 'pf' : name === 'cscf' ? 'cscf' : 'client';
      return {
        name,
        role,
        sip: `${host.includes(':') ? `[${host}]` : host}:${address.port}`,
        product: m[3]?.trim() || 'external SIP server',
        note: `${address.host}:${address.port}, no control API`,
      };
    }),
  );
}
