// Bounded soak and fuzz runs (hardening/), outside `npm test`: `npm run soak`, `npm run fuzz`. Their size comes
// from the environment (CPM_LAB_SOAK_SECONDS, CPM_LAB_FUZZ_RUNS); CI runs them in a short form.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['hardening/**/*.{soak,fuzz}.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
  },
});
