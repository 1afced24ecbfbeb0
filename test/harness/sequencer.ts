import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The integration files that run longest, in the order they start: the longest first, the ones
 * that run several servers of their own (the brokers' JVMs) not side by side at the start.
 * Vitest starts the longest files first only from the durations of an earlier run on the same
 * checkout; a fresh clone has none, and then it starts the largest files first, so a short file
 * that runs long (the fuzz pass) started last and ran alone at the end (docs/performance.md).
 */
const SLOWEST_FIRST = [
  'test/fuzz/fuzz.test.ts',
  'test/kafka/broker-failure.test.ts',
  'test/identity/pipeline.test.ts',
  'test/bridge/restart.test.ts',
  'test/gateway/kafka-outage.test.ts',
  'test/workflows/worker-failure.test.ts',
  'test/kafka/consumer.test.ts',
  'test/dashboard/dashboard.test.ts',
  'test/projector/pool.test.ts',
  'test/api/rhythm.test.ts',
  'test/workflows/follow-up.test.ts',
  'test/cli/up.test.ts',
  'test/api/demo.test.ts',
  'test/projector/crash.test.ts',
  'test/bridge/bridge.test.ts',
  'test/workflows/cli.test.ts',
];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const at = SLOWEST_FIRST.findIndex((path) => file.moduleId.endsWith(path));
      return at < 0 ? SLOWEST_FIRST.length : at;
    };
    // Stable: the files not listed keep vitest's own order after them.
    return (await super.sort(files)).toSorted((a, b) => rank(a) - rank(b));
  }
}
