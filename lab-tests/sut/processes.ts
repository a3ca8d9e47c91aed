// Lab nodes started as separate processes (`cpm-lab client`, `cpm-lab pf` from bin/), to play an
// implementation under test: the conformance run knows them only by their addresses and control APIs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../runtime/index.js';
import { startCli, stopCli } from '../../test-support/cli-process.js';

export interface NodeProcess {
  /** Its control API (the SUT control contract: docs/sut.md). */
  control: string;
  /** What it printed (for failure messages). */
  output: () => string;
  stop(): Promise<void>;
}

/** The lab's own client as a separate process: `cpm-lab client`, not registered until told (POST /online). */
export async function startClientProcess(options: {
  user: string;
  cscf: string;
  t1?: number;
}): Promise<NodeProcess> {
  const dir = await mkdtemp(join(tmpdir(), `cpm-lab-sut-${options.user}-`));
  const controlPort = await freePort();
  const child = await startCli(
    [
      'client',
      '--user',
      options.user,
      '--cscf',
      options.cscf,
      '--control-port',
      String(controlPort),
      '--store-dir',
      dir,
      '--no-register',
      '--t1',
      String(options.t1 ?? 50),
    ],
    () => rm(dir, { recursive: true, force: true }),
  );
  return {
    control: `http://127.0.0.1:${controlPort}`,
    output: child.text,
    stop: async () => {
      await stopCli(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The lab's own PF as a separate process: `cpm-lab pf`, sending through the CSCF at `cscf`. */
export async function startPfProcess(options: {
  cscf: string;
  t1?: number;
}): Promise<NodeProcess & { sip: string }> {
  const controlPort = await freePort();
  const sipPort = await freePort();
  const child = await startCli([
    'pf',
    '--cscf',
    options.cscf,
    '--sip-port',
    String(sipPort),
    '--msrp-port',
    '0',
    '--control-port',
    String(controlPort),
    '--store',
    ':memory:',
    '--group',
    'none',
    '--t1',
    String(options.t1 ?? 50),
  ]);
  return {
    control: `http://127.0.0.1:${controlPort}`,
    sip: `127.0.0.1:${sipPort}`,
    output: child.text,
    stop: () => stopCli(child),
  };
}
