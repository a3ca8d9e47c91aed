// drachtio-server started by the PF itself when it runs on drachtio and is given no server (the embedded
// lab, `cpm-lab pf --sip-engine drachtio` alone; docs/drachtio.md): the `drachtio` binary from a generated
// configuration on free ports: its SIP endpoint (UDP and TCP), the admin port the PF connects to as a
// drachtio-srf application, a random shared secret, and HEP3 capture to the PF's trace port. Stopped with the
// PF, under the same watchdog as Kamailio (runtime/supervised-process.ts).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptsTcp, freePort, type Logger, spawnSupervised } from '../../../runtime/index.js';

export class DrachtioServerError extends Error {
  override readonly name = 'DrachtioServerError';
  /** The binary ran but did not come up (e.g. its port was taken meanwhile): starting it again may work. */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean } = {}) {
    super(message);
    this.retryable = options.retryable ?? false;
  }
}

export interface DrachtioServerOptions {
  /** Address for SIP, the admin port and the capture target. */
  host: string;
  /** SIP port (UDP and TCP); 0 picks a free one. */
  sipPort: number;
  /** Where drachtio-server sends its HEP3 capture (the PF's capture port). */
  capture: { host: string; port: number };
  logger: Logger;
  /** The drachtio binary (default: CPM_LAB_DRACHTIO, else `drachtio` on the PATH). */
  binary?: string;
  startTimeoutMs?: number;
}

export interface DrachtioServerProcess {
  /** The admin endpoint and secret a drachtio-srf application connects with. */
  admin: { host: string; port: number; secret: string };
  sip: { host: string; port: number };
  version: string;
  pid: number;
  close(): Promise<void>;
}

/** The binary to run: CPM_LAB_DRACHTIO, else `drachtio` on the PATH. */
export function drachtioBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.CPM_LAB_DRACHTIO || 'drachtio';
}

/** drachtio-server's version (`1.0.0`), or a DrachtioServerError that says what to install. */
export function drachtioVersion(binary = drachtioBinary()): string {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new DrachtioServerError(
      `drachtio-server is not installed (${binary}: ${probe.error?.message ?? `exit ${probe.status}`}). ` +
        'Build it from github.com/drachtio/drachtio-server (scripts/build-drachtio.sh builds a source tarball) ' +
        'and put `drachtio` on the PATH or set CPM_LAB_DRACHTIO; or run the drachtio/drachtio-server image and ' +
        'start the PF with --sip-engine drachtio --drachtio HOST:PORT (docs/drachtio.md)',
    );
  }
  return `${probe.stdout}${probe.stderr}`.trim().split('\n')[0]?.trim() || 'drachtio';
}

/** Start drachtio-server and resolve once its admin port accepts connections. */
export async function startDrachtioServer(options: DrachtioServerOptions): Promise<DrachtioServerProcess> {
  const binary = options.binary ?? drachtioBinary();
  const version = drachtioVersion(binary);
  const { host, logger } = options;
  const sipPort = options.sipPort === 0 ? await freePort(host) : options.sipPort;
  const adminPort = await freePort(host);
  const secret = randomBytes(12).toString('hex');
  const runDir = await mkdtemp(join(tmpdir(), 'cpm-lab-drachtio-'));
  const config = join(runDir, 'drachtio.conf.xml');
  await writeFile(config, drachtioConfig({ host, sipPort, adminPort, secret, capture: options.capture }), {
    mode: 0o600,
  });
  const child = spawnSupervised('cpm-lab-drachtio', binary, ['-f', config], {
    stdout: true,
    onSpawnError: (err) => logger.error('drachtio-server could not run', { error: err.message }),
    // Its log lines carry no level: at debug (CPM_LAB_LOG=debug); a failed start quotes the last ones.
    onLine: (line) => logger.debug(line),
  });
  const stop = async (): Promise<void> => {
    await child.stop();
    await rm(runDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!(await acceptsTcp(adminPort, host)) || !(await acceptsTcp(sipPort, host))) {
    const exited = child.exited;
    if (exited || Date.now() > deadline) {
      await stop();
      const why = exited ? `exited (${exited.code ?? exited.signal})` : 'did not listen in time';
      throw new DrachtioServerError(
        `drachtio-server ${why} (SIP ${host}:${sipPort}, admin ${host}:${adminPort}); its last log lines:\n  ${child.recent.slice(-15).join('\n  ')}`,
        { retryable: true },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  logger.info('drachtio-server ready', {
    version,
    sip: `${host}:${sipPort}`,
    admin: `${host}:${adminPort}`,
    pid: child.pid,
  });
  return {
    admin: { host, port: adminPort, secret },
    sip: { host, port: sipPort },
    version,
    pid: child.pid,
    close: stop,
  };
}

/** drachtio-server's configuration file: admin endpoint, SIP contact, HEP3 capture, console log. */
export function drachtioConfig(settings: {
  host: string;
  sipPort: number;
  adminPort: number;
  secret: string;
  capture: { host: string; port: number };
}): string {
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  return `<drachtio>
  <admin port="${settings.adminPort}" secret="${xml(settings.secret)}">${xml(settings.host)}</admin>
  <sip>
    <contacts>
      <contact>sip:${xml(bracket(settings.host))}:${settings.sipPort};transport=udp,tcp</contact>
    </contacts>
    <capture-server port="${settings.capture.port}" hep-version="3" id="101">${xml(settings.capture.host)}</capture-server>
  </sip>
  <cdrs>false</cdrs>
  <logging>
    <console/>
    <sofia-loglevel>1</sofia-loglevel>
    <loglevel>notice</loglevel>
  </logging>
</drachtio>
`;
}

function xml(value: string): string {
  if (/[\r\n\0]/.test(value))
    throw new DrachtioServerError(`not usable in drachtio's configuration: ${value}`);
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
