// What the Compose tests need from this machine, checked before anything starts: a Docker engine, a Compose
// executable (v2 `docker compose`, else the standalone v1 `docker-compose`), and the base image the
// Dockerfile builds from (NODE_IMAGE). Every miss is an error that says what to do: these tests never skip.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Fixed, so that a run can clean up what a crashed run left behind (containers, network, volumes). */
/** The Compose project of the suite; CPM_LAB_COMPOSE_PROJECT lets two checkouts share one Docker engine. */
export const COMPOSE_PROJECT = process.env.CPM_LAB_COMPOSE_PROJECT ?? 'cpm-lab-compose-test';

export interface ComposeSetup {
  /** `docker compose` (v2 plugin) or `docker-compose` (standalone v1, e.g. Debian's 1.29). */
  compose: { version: 1 | 2; command: string[] };
  /** The Dockerfile's base image: NODE_IMAGE, else the Dockerfile's default. */
  nodeImage: string;
  /** "0" when there is no buildx: the classic builder takes FROM images from the local store. */
  dockerBuildkit?: string;
  engine: string;
}

async function run(command: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await exec(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

async function succeeds(command: string, args: string[], timeoutMs?: number): Promise<boolean> {
  try {
    await run(command, args, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

function reason(err: unknown): string {
  const e = err as { code?: string; stderr?: string; message?: string };
  if (e.code === 'ENOENT') return 'the docker CLI is not on PATH';
  return (e.stderr || e.message || String(err)).trim().split('\n').slice(-3).join(' / ');
}

export async function preflight(env: NodeJS.ProcessEnv = process.env): Promise<ComposeSetup> {
  let engine: string;
  try {
    engine = await run('docker', ['version', '--format', '{{.Server.Version}}']);
  } catch (err) {
    throw new Error(
      `The Compose tests need a Docker engine, and none answers (${reason(err)}). ` +
        'CI: `bash scripts/ci-docker.sh` installs and starts one (Debian docker.io + docker-compose). ' +
        'Elsewhere: start Docker, or point DOCKER_HOST at a running engine.',
    );
  }

  let compose: ComposeSetup['compose'];
  if (await succeeds('docker', ['compose', 'version'])) {
    compose = { version: 2, command: ['docker', 'compose'] };
  } else if (await succeeds('docker-compose', ['version'])) {
    compose = { version: 1, command: ['docker-compose'] };
  } else {
    throw new Error(
      'The Compose tests need Compose: neither `docker compose` (v2 plugin) nor `docker-compose` (v1) runs. ' +
        'CI: `bash scripts/ci-docker.sh` installs Debian docker-compose.',
    );
  }

  const nodeImage = env['NODE_IMAGE'] || 'node:22-bookworm-slim';
  if (!(await succeeds('docker', ['image', 'inspect', nodeImage]))) {
    try {
      await run('docker', ['pull', nodeImage], 300_000);
    } catch (err) {
      throw new Error(
        `The lab image builds FROM NODE_IMAGE=${nodeImage}, which is not on this engine and cannot be pulled ` +
          `(${reason(err)}). Without a registry use the local stand-in: \`bash scripts/ci-docker.sh\` builds ` +
          'cpm-lab/node-base:bookworm; then run with NODE_IMAGE=cpm-lab/node-base:bookworm.',
      );
    }
  }

  const setup: ComposeSetup = { compose, nodeImage, engine };
  if (env['DOCKER_BUILDKIT'] !== undefined) setup.dockerBuildkit = env['DOCKER_BUILDKIT'];
  else if (!(await succeeds('docker', ['buildx', 'version']))) setup.dockerBuildkit = '0';
  return setup;
}

/** `down -v` of the test project: what a crashed or interrupted run left (idempotent). */
export async function removeProject(setup: ComposeSetup, composeFile: string): Promise<void> {
  const [command, ...prefix] = setup.compose.command;
  await run(
    command!,
    [
      ...prefix,
      '-f',
      composeFile,
      '-p',
      COMPOSE_PROJECT,
      'down',
      '--volumes',
      '--remove-orphans',
      '--timeout',
      '5',
    ],
    120_000,
  );
}

/** Names of the volumes Compose created for the test project (labelled by project). */
export async function projectVolumes(): Promise<string[]> {
  const out = await run('docker', [
    'volume',
    'ls',
    '--quiet',
    '--filter',
    `label=com.docker.compose.project=${COMPOSE_PROJECT}`,
  ]);
  return out.split('\n').filter(Boolean);
}
