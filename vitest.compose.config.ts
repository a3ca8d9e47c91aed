// The Compose lab tests (lab-tests/compose): the lab as containers built from the Dockerfile, brought up with
// testcontainers, scenarios run through the published lab API. Needs a Docker engine (CI: scripts/ci-docker.sh)
// and NODE_IMAGE when no registry is reachable:
//   NODE_IMAGE=cpm-lab/node-base:bookworm npx vitest run -c vitest.compose.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lab-tests/compose/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    globalSetup: ['lab-tests/compose/global-setup.ts'],
    // One Compose project at a time: files must not run in parallel.
    fileParallelism: false,
    pool: 'forks',
    // A cold image build (npm ci twice, tsc) plus `up` and health checks takes minutes.
    hookTimeout: 600_000,
    testTimeout: 120_000,
    teardownTimeout: 120_000,
    env: {
      // The Ryuk reaper image cannot be pulled without a registry; the suite removes its project itself
      // (afterAll, and global-setup for leftovers of interrupted runs).
      TESTCONTAINERS_RYUK_DISABLED: process.env.TESTCONTAINERS_RYUK_DISABLED ?? 'true',
      // Published ports are bound on 127.0.0.1 (docker-compose.yml); inside a container (/.dockerenv)
      // testcontainers would otherwise guess the bridge gateway.
      TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE ?? '127.0.0.1',
      // The Compose lab requires a bearer token (docker-compose.yml); the suite's LabClient sends this one.
      CPM_LAB_TOKEN: process.env.CPM_LAB_TOKEN ?? 'compose-test-token',
    },
  },
});
