// `cpm-lab <command>` (bin/) as a child process for end-to-end tests: started, awaited until its ready line,
// stopped with SIGTERM (SIGKILL after 10 s).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI = join(ROOT, 'bin', 'cpm-lab.js');

export type CliProcess = ChildProcess & { text: () => string };

/** Spawn `cpm-lab <args>` and wait for its ready line (it exits, or prints nothing in 30 s: rejected). */
export async function startCli(
  args: string[],
  cleanup: () => Promise<void> = async () => {},
): Promise<CliProcess> {
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

export async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
