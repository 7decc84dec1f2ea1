import { defineConfig } from 'vitest/config';

// One project per package. Files run one at a time: the integration tests race real threads on a
// 2-core machine, and a concurrently running test file would starve them (and muddle CPU-time checks).
export default defineConfig({
  test: {
    fileParallelism: false,
    reporters: ['default', './tools/summary-reporter.ts'],
    projects: [
      { test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      {
        test: {
          name: 'workers',
          include: ['packages/workers/test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'stress',
          include: ['packages/stress/test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 120_000,
        },
      },
    ],
  },
});
