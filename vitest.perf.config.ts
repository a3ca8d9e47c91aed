import { defineConfig } from 'vitest/config';

// `npm run bench`: the end-to-end benchmarks of bench/perf (one row each of the README's Performance table),
// one file at a time so that no measurement shares the CPU with another. Not part of `npm test`.
export default defineConfig({
  test: {
    include: ['bench/perf/**/*.perf.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 900_000,
    hookTimeout: 120_000,
    globalSetup: ['bench/perf/teardown.ts'],
  },
});
