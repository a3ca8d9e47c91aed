// Loading a topology file (JSON) with errors that say which file and which field.
import { readFile } from 'node:fs/promises';
import defaultTopology from './default.json' with { type: 'json' };
import { parseTopology, type Topology, TopologyError } from './topology.js';

/** Shown to users; the built-in topology is compiled in (lab/topology/default.json in the sources). */
export const DEFAULT_TOPOLOGY_PATH = 'lab/topology/default.json (built in)';

/** The topology in `path`, or the built-in default when no path is given. */
export async function loadTopology(path?: string | URL): Promise<Topology> {
  if (path === undefined || path === DEFAULT_TOPOLOGY_PATH) return parseTopology(defaultTopology);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new TopologyError([`cannot read ${String(path)}: ${(err as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TopologyError([`${String(path)} is not valid JSON: ${(err as Error).message}`]);
  }
  return parseTopology(json);
}
