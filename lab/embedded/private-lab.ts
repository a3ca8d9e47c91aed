// A private embedded lab for one run or one test suite: the default topology on any free ports, its stores
// in a temporary directory that close() removes, node logs at `warn` unless CPM_LAB_LOG says otherwise.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Env, type LogLevel, logLevelFromEnv } from '../../runtime/index.js';
import type { SutSpec } from '../sut/index.js';
import {
  loadTopology,
  withCscf,
  withCscfSipPort,
  withEphemeralPorts,
  withPfSipEngine,
  withSut,
} from '../topology/index.js';
import { EmbeddedLab } from './embedded-lab.js';

export interface PrivateLab {
  lab: EmbeddedLab;
  url: string;
  /** Stop every node and remove the temporary stores. */
  close(): Promise<void>;
}

export async function startPrivateLab(
  options: {
    t1?: number;
    level?: LogLevel;
    label?: string;
    env?: Env;
    /** `mock` (default), `kamailio` or the host:port of an external CSCF (lab/topology withCscf). */
    cscf?: string;
    /** The PF's SIP engine: `builtin` (default) or `drachtio` (lab/topology withPfSipEngine). */
    pfSipEngine?: string;
    /** An implementation under test in place of a client or the PF (docs/sut.md). */
    sut?: SutSpec;
    /** The CSCF's SIP port (default any free one): where a client under test is configured to register. */
    sipPort?: number;
  } = {},
): Promise<PrivateLab> {
  const env = options.env ?? process.env;
  const level = options.level ?? (env.CPM_LAB_LOG ? logLevelFromEnv(env) : 'warn');
  const dataDir = await mkdtemp(join(tmpdir(), `cpm-lab-${options.label ?? 'private'}-`));
  const loggerFor = (node: string) => createLogger(node, { level, env });
  let lab: EmbeddedLab;
  try {
    let topology = await loadTopology();
    if (options.cscf !== undefined) topology = withCscf(topology, options.cscf);
    if (options.pfSipEngine !== undefined) topology = withPfSipEngine(topology, options.pfSipEngine);
    if (options.sut !== undefined) topology = withSut(topology, options.sut);
    topology = withEphemeralPorts(topology);
    if (options.sipPort !== undefined) topology = withCscfSipPort(topology, options.sipPort);
    lab = await EmbeddedLab.start({
      topology,
      dataDir,
      ...(options.t1 === undefined ? {} : { t1: options.t1 }),
      logger: loggerFor('lab'),
      loggerFor,
    });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    lab,
    url: lab.url,
    close: async () => {
      await lab.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
