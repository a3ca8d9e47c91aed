// SIPp as the load generator: one run of a scenario at a fixed rate, judged by its own statistics (successful
// and failed calls, retransmissions: `-trace_stat`), so that "clean" means what SIPp saw on the wire.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SIPP_DIR = new URL('./sipp/', import.meta.url).pathname;

export interface SippRun {
  success: number;
  failed: number;
  retransmissions: number;
  elapsedMs: number;
  clean: boolean;
}

/** `user;` lines for `-inf`: users `prefix0 … prefix<n-1>` from `offset`. */
export async function usersFile(dir: string, prefix: string, offset: number, n: number): Promise<string> {
  const file = join(dir, `${prefix}${offset}.csv`);
  const lines = ['SEQUENTIAL'];
  for (let i = 0; i < n; i++) lines.push(`${prefix}${offset + i};`);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Run SIPp until `calls` calls are done, or for at most `limitSeconds` (an overloaded server can keep SIPp
 * waiting on timeouts for minutes; SIPp's own -timeout is given, and it is stopped 5 s after that in any case):
 * the statistics of the run, from its last dump when it was stopped.
 */
export async function runSipp(args: string[], calls: number, limitSeconds = 60): Promise<SippRun> {
  const dir = await mkdtemp(join(tmpdir(), 'cpm-lab-bench-sipp-'));
  const stat = join(dir, 'stat.csv');
  const started = performance.now();
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'sipp',
        [
          ...args,
          '-m',
          String(calls),
          '-nostdin',
          '-trace_stat',
          '-stf',
          stat,
          '-fd',
          '1',
          '-timeout',
          `${limitSeconds}s`,
        ],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-2000);
      });
      child.once('error', reject);
      const stop = setTimeout(() => child.kill('SIGKILL'), (limitSeconds + 5) * 1000);
      // SIPp exits 0 when every call succeeded, 1 when some failed, 97/99 when it stopped otherwise (its
      // -timeout): all are results, as is our own stop.
      child.once('exit', (code, signal) => {
        clearTimeout(stop);
        if (code === 0 || code === 1 || code === 97 || code === 99 || signal === 'SIGKILL') resolve();
        else reject(new Error(`sipp exited ${code ?? signal}: ${err}`));
      });
    });
    const elapsedMs = performance.now() - started;
    const lines = (await readFile(stat, 'utf8')).trim().split('\n');
    const head = lines[0]!.split(';');
    const last = lines.at(-1)!.split(';');
    const col = (name: string) => Number(last[head.indexOf(name)] ?? Number.NaN);
    const success = col('SuccessfulCall(C)');
    const failed = col('FailedCall(C)');
    const retransmissions = col('Retransmissions(C)');
    return {
      success,
      failed,
      retransmissions,
      elapsedMs,
      clean: success === calls && failed === 0 && retransmissions === 0,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface CleanRate {
  /** The highest rate at which every call was clean (0: none was). */
  rate: number;
  /** The server's CPU per call at that rate (its processes, from /proc). */
  cpuMsPerCall: number;
  /** What the first unclean rate looked like (undefined: every rate was clean). */
  stoppedBy?: string;
}

/**
 * SIPp at each rate for `seconds` (args from `argsFor`), up to the first rate that is not clean: a failure, a
 * retransmission, or SIPp itself unable to keep the rate (the run lasts past calls/rate plus its start).
 */
export async function maxCleanRate(
  rates: readonly number[],
  seconds: number,
  serverCpuMs: () => number,
  argsFor: (rate: number, calls: number) => Promise<string[]>,
): Promise<CleanRate> {
  const best: CleanRate = { rate: 0, cpuMsPerCall: Number.NaN };
  for (const rate of rates) {
    const calls = rate * seconds;
    const args = await argsFor(rate, calls);
    const cpu0 = serverCpuMs();
    // An unclean step is over once it has lasted twice its length plus 10 s (the verdict is made by then).
    const run = await runSipp(args, calls, seconds * 2 + 10);
    const cpu = serverCpuMs() - cpu0;
    const kept = run.elapsedMs <= (calls / rate) * 1000 * 1.5 + 2000;
    if (!run.clean || !kept) {
      best.stoppedBy = `${rate}/s: ${run.success} ok, ${run.failed} failed, ${run.retransmissions} retransmissions, ${(run.elapsedMs / 1000).toFixed(1)} s`;
      return best;
    }
    best.rate = rate;
    best.cpuMsPerCall = cpu / calls;
  }
  return best;
}
