// Where each lab node's control API is: the lab API's only knowledge of the nodes (embedded or Compose).

export type NodeRole = 'cscf' | 'pf' | 'client';

export interface LabNode {
  /** `cscf`, `pf`, or the client's user name (`alice`). */
  name: string;
  role: NodeRole;
  controlUrl: string;
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
