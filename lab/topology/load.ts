// Loading a topology file (JSON) with errors that say which file and which field.
import { readFile } from 'node:fs/promises';
import { parseTopology, type Topology, TopologyError } from './topology.js';

export const DEFAULT_TOPOLOGY_PATH = new URL('./default.json', import.meta.url);

export async function loadTopology(path: string | URL = DEFAULT_TOPOLOGY_PATH): Promise<Topology> {
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
