import { defineConfig } from 'vitest/config';

const include = ['{protocol,runtime,services,client,lab,cli}/**/*.test.ts', 'lab-tests/**/*.test.ts'];
const exclude = ['node_modules/**', 'dist/**', 'lab-tests/compose/**'];

export default defineConfig({
  test: {
    // Socket tests bind ephemeral ports on 127.0.0.1; several files may run at once.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    benchmark: {
      include: ['bench/**/*.bench.ts'],
    },
    projects: [
      { extends: true, test: { name: 'lab', include, exclude } },
      // The PF's behaviour suite once more with the PF on drachtio-server (docs/drachtio.md): the same tests,
      // the other SIP engine. Needs the `drachtio` binary (scripts/build-drachtio.sh; CI builds it).
      {
        extends: true,
        test: {
          name: 'pf on drachtio',
          include: ['services/pf/pf.test.ts'],
          env: { CPM_LAB_TEST_PF_SIP_ENGINE: 'drachtio' },
        },
      },
    ],
  },
});
