// Run SIPp (Debian package `sip-tester`) as a real protocol peer in tests. CI installs it (.ci/run);
// a missing binary is a test failure with a clear message, never a skip.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Test support may reach up to runtime for a helper; protocol sources never do.
import { acceptsTcp } from '../../../runtime/ports.js';

export const SIPP_SCENARIOS = new URL('./sipp/', import.meta.url).pathname;

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertSippInstalled(): void {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error('SIPp is not installed: apt-get install sip-tester (bash .ci/run installs it)');
  }
}

export interface SippHandle {
  /** Resolves when SIPp exits. */
  done: Promise<SippResult>;
  kill(): void;
}

/**
 * Start SIPp with `args` (always adds -nostdin, -m 1 unless given, a global -timeout with -timeout_error,
 * and runs in a private temporary directory so its log files do not litter the tree).
 */
export function startSipp(args: string[], options: { timeoutSeconds?: number } = {}): SippHandle {
  const cwd = mkdtempSync(join(tmpdir(), 'cpm-lab-sipp-'));
  const full = ['-nostdin', '-timeout', `${options.timeoutSeconds ?? 15}s`, '-timeout_error', ...args];
  if (!args.includes('-m')) full.push('-m', '1');
  const child = spawn('sipp', full, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.length > 200_000) stdout = stdout.slice(-100_000);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<SippResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (event-driven retry, bounded). */
export async function waitForTcpListener(port: number, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const ok = await acceptsTcp(port);
    if (ok) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}
