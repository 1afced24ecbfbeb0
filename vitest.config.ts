import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` runs pure tests that sit beside the code and need no server; `integration`
 * runs the cross-service suites in test/ against real Kafka, Temporal and Redis, which the global
 * setup provides (environment endpoints, else containers, else the native runners in infra/).
 */
export default defineConfig({
  // Workspace packages load from their TypeScript (their `source` export), as tsx runs them.
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    reporters: ['default', './test/harness/summary-reporter.ts'],
    // Integration suites spend most of their time waiting on servers (consumer groups, timers,
    // processes starting), not computing: three files at a time keep two cores busy where one
    // (vitest's default here) left them mostly idle. Four were no faster over two runs, and loaded
    // the cores so that a time-skipping test timed out (docs/performance.md).
    maxWorkers: 3,
    minWorkers: 1,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Pure tests: one module cache per worker for all of them, instead of each file loading
          // zod and the packages again (the unit files alone: 28 s isolated, 10 s shared).
          isolate: false,
          include: [
            'packages/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'workflows/src/**/*.test.ts',
            'infra/src/**/*.test.ts',
            // The workspace's own configuration: references, exports, layering rules.
            'test/workspace/**/*.test.ts',
          ],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/workspace/**'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
