// Bringing the Compose lab up for a test file with testcontainers: the given compose files (docker-compose.yml,
// plus an override such as docker-compose.kamailio.yml), built, free host ports, every service healthy.
import { DockerComposeEnvironment, type StartedDockerComposeEnvironment, Wait } from 'testcontainers';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import { REPO_ROOT } from './paths.js';
import { COMPOSE_PROJECT, type ComposeSetup } from './preflight.js';

export const SERVICES = ['cscf', 'pf', 'alice', 'bob', 'carol', 'lab'] as const;

export interface ComposeLab {
  environment: StartedDockerComposeEnvironment;
  lab: LabClient;
  /** Seconds from `up` to every service healthy (build included). */
  seconds: number;
}

/** Container names as testcontainers keys them: v1 `<project>_<service>_1`, v2 `<service>-1`. */
export function containerName(setup: ComposeSetup, service: string): string {
  return setup.compose.version === 1 ? `${COMPOSE_PROJECT}_${service}_1` : `${service}-1`;
}

export async function startComposeLab(
  setup: ComposeSetup,
  files: string[],
  env: Record<string, string> = {},
  /** Services an override adds (e.g. `drachtio`), waited on until healthy like the others. */
  extraServices: readonly string[] = [],
): Promise<ComposeLab> {
  const started = performance.now();
  let compose = new DockerComposeEnvironment(REPO_ROOT, files)
    .withProjectName(COMPOSE_PROJECT)
    .withBuild()
    .withEnvironment({
      NODE_IMAGE: setup.nodeImage,
      CPM_LAB_TOKEN: process.env.CPM_LAB_TOKEN ?? 'compose-test-token',
      ...(setup.dockerBuildkit === undefined ? {} : { DOCKER_BUILDKIT: setup.dockerBuildkit }),
      // Docker picks free host ports: a lab already running here (embedded or Compose) keeps its own.
      ...Object.fromEntries(SERVICES.map((s) => [`CPM_LAB_HOST_PORT_${s.toUpperCase()}`, ''])),
      ...env,
    })
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(300_000);
  for (const service of [...SERVICES, ...extraServices])
    compose = compose.withWaitStrategy(containerName(setup, service), Wait.forHealthCheck());
  if (setup.compose.version === 1) {
    compose = compose.withClientOptions({
      executable: { standalone: true, executablePath: 'docker-compose' },
    });
  }
  const environment = await compose.up();
  const container = environment.getContainer(containerName(setup, 'lab'));
  const lab = new LabClient(`http://${container.getHost()}:${container.getMappedPort(8080)}`, {
    timeoutMs: 30_000,
  });
  return { environment, lab, seconds: (performance.now() - started) / 1000 };
}

/** The last lines each service logged, for assertion messages of a failed run. */
export async function containerLogs(
  setup: ComposeSetup,
  environment: StartedDockerComposeEnvironment,
  services: string[],
): Promise<string> {
  const out: string[] = [];
  for (const service of services) {
    const lines: string[] = [];
    try {
      const stream = await environment.getContainer(containerName(setup, service)).logs({ tail: 80 });
      await new Promise<void>((resolve) => {
        stream.on('data', (d: Buffer | string) => lines.push(String(d)));
        stream.on('end', () => resolve());
        setTimeout(resolve, 3000).unref();
      });
    } catch (err) {
      lines.push(`(no logs: ${(err as Error).message})`);
    }
    out.push(`--- ${service} (last lines)`, lines.join('').trimEnd());
  }
  return out.join('\n');
}
