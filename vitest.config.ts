import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` runs pure tests that sit beside the code and need no server; `integration`
 * runs the cross-service suites in test/ against real Kafka, Temporal and Redis, which the global
 * setup provides (environment endpoints, else containers, else the native runners in infra/).
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'workflows/src/**/*.test.ts',
            'infra/src/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
