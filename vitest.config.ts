import { configDefaults, defineConfig } from 'vitest/config';
import Planned from './test/harness/sequencer.js';

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
    // The files in an order planned from their durations (test/durations.json): the long ones
    // one at a time, from the start, beside the others.
    sequence: { sequencer: Planned },
    // Integration suites spend most of their time waiting on servers (consumer groups, timers,
    // processes starting), not computing: three files at a time keep two cores busy where one
    // (vitest's default here) left them mostly idle. Four were no faster over two runs, and loaded
    // the cores so that a time-skipping test timed out (docs/performance.md).
    maxWorkers: 3,
    // A shared pool that shrinks as it idles ends the run with "Terminating worker thread"
    // (vitest-dev/vitest#8564): the pools keep their workers to the end.
    minWorkers: 3,
    // Vitest reads isolation per pool, from here, not from a project (an `isolate` in a project
    // is ignored). Neither pool starts a fresh process per file: a file's imports (the Temporal
    // SDK, kafkajs, the packages) cost more than many of its tests, so each worker loads them
    // once and runs its files one after another. What a file starts, it stops; what belongs to a
    // process (the Temporal runtime) the harness installs once (`installTemporalRuntime`). One
    // thread is enough for the unit tests beside the three forks: three more workers slowed the
    // servers past the fuzzer's timeouts.
    poolOptions: {
      threads: { isolate: false, maxThreads: 1, minThreads: 1 },
      forks: { isolate: false },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Pure tests, in a worker thread that keeps one module cache for all of them (the
          // threads pool's options above), instead of a process per file loading zod and the
          // packages again.
          pool: 'threads',
          // They share two cores with the integration suites' servers: a property test's hundred
          // histories can take longer than vitest's default 5 s there.
          testTimeout: 20_000,
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
