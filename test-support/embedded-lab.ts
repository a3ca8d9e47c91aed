// An embedded lab on a topology given in the test: any free ports, a temporary data directory that close()
// removes, T1 of 50 ms, nodes logging nothing below errors.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedLab } from '../lab/embedded/index.js';
import { parseTopology } from '../lab/topology/index.js';
import { silentLogger } from './cscf.js';

export interface TestEmbeddedLab {
  lab: EmbeddedLab;
  close(): Promise<void>;
}

/** Start an embedded lab on `topology` (JSON as in a topology file); rejects as EmbeddedLab.start does. */
export async function startEmbeddedTestLab(topology: unknown): Promise<TestEmbeddedLab> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cpm-lab-test-'));
  let lab: EmbeddedLab;
  try {
    lab = await EmbeddedLab.start({
      topology: parseTopology(topology),
      ephemeral: true,
      dataDir,
      t1: 50,
      logger: silentLogger('lab'),
      loggerFor: (node) => silentLogger(node),
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    lab,
    close: async () => {
      await lab.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
