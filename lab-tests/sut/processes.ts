// Lab nodes started as separate processes (`cpm-lab client`, `cpm-lab pf` from bin/), to play an
// implementation under test: the conformance run knows them only by their addresses and control APIs.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../runtime/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'bin', 'cpm-lab.js');

export interface NodeProcess {
  /** Its control API (the SUT control contract: docs/sut.md). */
  control: string;
  /** What it printed (for failure messages). */
  output: () => string;
  stop(): Promise<void>;
}

/** Spawn `cpm-lab <args>` and wait for its ready line (it exits or prints nothing in time: rejected). */
async function startCli(
  args: string[],
  cleanup: () => Promise<void> = async () => {},
): Promise<ChildProcess & { text: () => string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CPM_LAB_LOG: 'info' },
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cpm-lab ${args[0]} not ready in 30 s: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/"msg":"ready"|\bready\b/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      void cleanup();
      reject(new Error(`cpm-lab ${args[0]} exited ${code}: ${out}`));
    });
  });
  return Object.assign(child, { text: () => out });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
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
      await stopChild(child);
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
    stop: () => stopChild(child),
  };
}
