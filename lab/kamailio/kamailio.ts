// Kamailio as the lab's CSCF (docs/kamailio.md): Debian's `kamailio` started from the project's
// configuration (interop/kamailio/kamailio.cfg) on a given port, its log lines passed to a Logger, and
// stopped with the lab. The settings the configuration reads are `-A` defines on the command line.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptsTcp, freePort, type Logger, packageRoot, spawnSupervised } from '../../runtime/index.js';

/** The project's Kamailio configuration, written for this lab. */
export const KAMAILIO_CONFIG = join(packageRoot(), 'interop', 'kamailio', 'kamailio.cfg');

export class KamailioError extends Error {
  override readonly name = 'KamailioError';
}

export interface KamailioOptions {
  /** Address to listen on (UDP and TCP). */
  host: string;
  /** SIP port; 0 picks a free one. */
  port: number;
  /** The served domain (LAB_DOMAIN). */
  domain: string;
  /** Where the PF takes SIP: its service URIs and the third-party REGISTERs go there (PF_URI). */
  pfUri: string;
  logger: Logger;
  /** The kamailio binary (default: CPM_LAB_KAMAILIO, else `kamailio` on the PATH). */
  binary?: string;
  config?: string;
  /** How long to wait for it to listen, ms. */
  startTimeoutMs?: number;
  /**
   * Kamailio's shared memory (`-m`, MB): registrations, transactions and hash tables live there. Its own
   * default (64 MB) runs out near 6,000 registered users with this configuration (500 "usrloc_contact_insert
   * failed"); the lab asks for 256 MB, reserved as needed.
   */
  sharedMemoryMb?: number;
}

export interface KamailioProcess {
  host: string;
  port: number;
  /** `kamailio 5.6.3 (x86_64/linux)` */
  version: string;
  pid: number;
  close(): Promise<void>;
}

/** The binary to run: CPM_LAB_KAMAILIO, else `kamailio` on the PATH. */
export function kamailioBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.CPM_LAB_KAMAILIO || 'kamailio';
}

/** `kamailio 5.6.3 (x86_64/linux)`, or a KamailioError that says what to install. */
export function kamailioVersion(binary = kamailioBinary()): string {
  const probe = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new KamailioError(
      `Kamailio is not installed (${binary}: ${probe.error?.message ?? `exit ${probe.status}`}): ` +
        "install Debian's package (apt-get install kamailio, 5.6 or later) or set CPM_LAB_KAMAILIO to the binary",
    );
  }
  const first = probe.stdout.split('\n')[0] ?? '';
  return first.replace(/^version:\s*/i, '').trim() || 'kamailio';
}

/** Start Kamailio in the foreground (-DD -E) and resolve once it accepts TCP on its port. */
export async function startKamailio(options: KamailioOptions): Promise<KamailioProcess> {
  const binary = options.binary ?? kamailioBinary();
  const version = kamailioVersion(binary);
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  const runDir = await mkdtemp(join(tmpdir(), 'cpm-lab-kamailio-'));
  const listen = options.host.includes(':') ? `[${options.host}]:${port}` : `${options.host}:${port}`;
  const args = [
    '-DD', // stay in the foreground, no daemon
    '-E', // log to stderr
    '-m',
    String(options.sharedMemoryMb ?? 256),
    '-f',
    options.config ?? KAMAILIO_CONFIG,
    '-l',
    `udp:${listen}`,
    '-l',
    `tcp:${listen}`,
    '-Y',
    runDir,
    '-A',
    `LAB_DOMAIN=${cfgString(options.domain)}`,
    '-A',
    `PF_URI=${cfgString(options.pfUri)}`,
    '-A',
    `SELF_URI=${cfgString(`sip:cscf@${options.domain}`)}`,
    '-A',
    `TCP_SOCKET=${cfgString(`tcp:${listen}`)}`,
  ];
  const logger = options.logger;
  // Its errors while starting are the lab's errors. Once it runs, a send that fails (a UE's flow is gone) is an
  // ERROR line to Kamailio and routine in the lab: its log is at debug then (CPM_LAB_LOG=debug shows it),
  // except CRITICAL and ALERT.
  let running = false;
  let stopping = false;
  const child = spawnSupervised('cpm-lab-kamailio', binary, args, {
    onSpawnError: (err) => logger.error('kamailio could not run', { error: err.message }),
    onLine: (line) => {
      const level = /\b(CRITICAL|ALERT|ERROR):/.test(line)
        ? 'error'
        : /\bWARNING:/.test(line)
          ? 'warn'
          : 'debug';
      if (!running) logger[level](line);
      else if (/\b(CRITICAL|ALERT):/.test(line) && !stopping) logger.error(line);
      else logger.debug(line);
    },
  });
  const stop = async (): Promise<void> => {
    stopping = true;
    await child.stop();
    await rm(runDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!(await acceptsTcp(port, options.host))) {
    const exited = child.exited;
    if (exited || Date.now() > deadline) {
      await stop();
      const why = exited ? `exited (${exited.code ?? exited.signal})` : 'did not listen in time';
      throw new KamailioError(
        `Kamailio ${why} on ${listen}; its last log lines:\n  ${child.recent.slice(-15).join('\n  ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  running = true;
  logger.info('kamailio ready', { version, sip: listen, pf: options.pfUri, pid: child.pid });
  return { host: options.host, port, version, pid: child.pid, close: stop };
}

/** A `-A NAME=VALUE` string value: a double-quoted cfg string (no quote or backslash inside). */
function cfgString(value: string): string {
  if (/["\\\r\n\0]/.test(value))
    throw new KamailioError(`not usable in the Kamailio configuration: ${value}`);
  return `"${value}"`;
}
