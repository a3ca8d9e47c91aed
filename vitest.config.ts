import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{protocol,runtime,services,client,lab,cli}/**/*.test.ts', 'lab-tests/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'lab-tests/compose/**'],
    // Socket tests bind ephemeral ports on 127.0.0.1; several files may run at once.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    benchmark: {
      include: ['bench/**/*.bench.ts'],
    },
  },
});
