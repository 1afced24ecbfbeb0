import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The integration files that take longest, longest first: most of their time is spent waiting on
 * servers (a broker failing over, an outage, a fuzzer, processes killed and restarted), so started
 * first they overlap the rest of the suite instead of running alone at its end.
 */
const LONGEST_FIRST = [
  'test/kafka/broker-failure.test.ts',
  'test/gateway/kafka-outage.test.ts',
  'test/fuzz/fuzz.test.ts',
  'test/workflows/dev-server.test.ts',
  'test/bridge/restart.test.ts',
  'test/workflows/worker-failure.test.ts',
  'test/identity/pipeline.test.ts',
  'test/api/rhythm.test.ts',
  'test/dashboard/dashboard.test.ts',
  'test/kafka/consumer.test.ts',
  'test/api/shards.test.ts',
  'test/projector/pool.test.ts',
  'test/projector/redis-failover.test.ts',
  'test/api/follow-up-start.test.ts',
];

/**
 * Vitest orders files by its last run's durations, kept in node_modules; a fresh clone (CI) has
 * none, and vitest then starts the largest files first, which left the fuzzer, a small file of
 * half a minute, alone at the end. Without those durations, the files above go first
 * (docs/performance.md, "The test command's order").
 */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const remembered = files.every((file) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(root, file.moduleId)}`),
    );
    if (remembered) return sorted;
    const rank = (file: TestSpecification) => {
      const index = LONGEST_FIRST.indexOf(relative(root, file.moduleId));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    // Array sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
