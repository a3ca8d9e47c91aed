// A third-party daemon the lab runs for the length of a run (Kamailio, drachtio-server): in the foreground,
// in its own process group (Ctrl-C in a terminal reaches the lab, which stops the daemon in its turn), under
// a small shell watchdog holding a pipe from this process, so that a lab that dies without stopping it
// (SIGKILL, a crash) cannot leave the daemon holding its ports. Its output lines go to a callback.
import { type ChildProcess, spawn } from 'node:child_process';

export interface SupervisedProcess {
  readonly pid: number;
  /** The last lines it wrote (at most 50), for error messages. */
  readonly recent: readonly string[];
  /** Set once it has exited. */
  readonly exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM to its group, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  /** Every non-empty output line (stderr, and stdout when `stdout` is set). */
  onLine(line: string): void;
  onSpawnError(error: Error): void;
  /** Also read its stdout (default: ignored). */
  stdout?: boolean;
}

/**
 * Runs `"$@"` (the binary and its arguments) and stops it when this script's stdin closes: the lab keeps that
 * pipe open for as long as it lives. SIGTERM first, SIGKILL 5 s later if it is still there (drachtio-server
 * was seen ignoring SIGTERM once its working directory was gone); once the daemon exits, this script reaps
 * it and ends the watchdog at once, so the SIGKILL never reaches a reused pid. (A background job's stdin is
 * /dev/null unless redirected: fd 3.)
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" &',
  'k=$!',
  '{ cat >/dev/null; kill -TERM "$k" 2>/dev/null; sleep 5; kill -KILL "$k" 2>/dev/null; } <&3 &',
  'w=$!',
  'wait "$k"; s=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n');

export function spawnSupervised(
  name: string,
  binary: string,
  args: readonly string[],
  options: SuperviseOptions,
): SupervisedProcess {
  const child = spawn('sh', ['-c', WATCHDOG, name, binary, ...args], {
    stdio: ['pipe', options.stdout ? 'pipe' : 'ignore', 'pipe'],
    detached: true,
  });
  const recent: string[] = [];
  let exited: SupervisedProcess['exited'];
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  child.once('error', options.onSpawnError);
  const onLine = (line: string) => {
    recent.push(line);
    if (recent.length > 50) recent.shift();
    options.onLine(line);
  };
  readLines(child.stderr, onLine);
  if (options.stdout) readLines(child.stdout, onLine);
  return {
    pid: child.pid ?? -1,
    recent,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      signalGroup(child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Signal the watchdog's whole process group (the watchdog, the daemon and its workers). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Output split into lines; a line without end is bounded. */
function readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let pending = '';
  stream?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    if (pending.length > 64 * 1024) pending = pending.slice(-16 * 1024);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const raw of lines) {
      const line = raw.trim();
      if (line) onLine(line);
    }
  });
}
