import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '@rapport/config';
import { inject } from 'vitest';
import { testInfraSchema, type TestInfra } from './endpoints.js';

export type { TestInfra } from './endpoints.js';
export { expectPoolStops, expectWorkerReplaced } from './pools.js';
export { freeClusterPorts, freePort, freePortPair, freePortRun, freePorts } from './ports.js';
export { ingestRetrying } from './ingest.js';
export { FROM_SOURCE, killHard, sleep, spawnService, untilReady } from './processes.js';
export { installTemporalRuntime } from './temporal-runtime.js';

/** The real servers the global setup provided, parsed like any other boundary input. */
export function testInfra(): TestInfra {
  return testInfraSchema.parse(inject('infra'));
}

/**
 * Names private to one test file, so files run in parallel against the same servers without
 * seeing each other's topics, keys, task queues or workflows.
 */
export function uniqueNames(label: string) {
  const id = `${label}-${randomBytes(4).toString('hex')}`;
  return {
    id,
    topic: (name: string) => `test.${id}.${name}`,
    keyPrefix: `test:${id}:`,
    taskQueue: `test-${id}`,
    groupId: (name: string) => `test-${id}-${name}`,
  };
}

export type UniqueNames = ReturnType<typeof uniqueNames>;

/**
 * The two Redis topologies the read side runs on, as the variables that choose them: the suites
 * that `describe.each` over these run on one Redis and on a Redis Cluster of three masters.
 */
export const REDIS_TOPOLOGIES = [
  { topology: 'one Redis', redis: (): Record<string, string> => ({}) },
  {
    topology: 'a Redis Cluster',
    redis: (): Record<string, string> => ({
      RAPPORT_REDIS_URL: testInfra().redisClusterUrl,
      RAPPORT_REDIS_CLUSTER: 'true',
    }),
  },
] as const;

import { TEST_ADMIN_KEY, TEST_READ_KEY, TEST_WRITE_KEY } from './keys.js';

export { TEST_ADMIN_KEY, TEST_READ_KEY, TEST_WRITE_KEY };

/**
 * A service configuration on the test servers with this file's private topics and key prefix,
 * as a service would parse it from its environment.
 */
/**
 * The allowed lateness of the suites on real-time servers: they deliver well within it, and
 * verdicts and drops then come this long after their instant instead of the default minute.
 */
export const TEST_ALLOWED_LATENESS_MS = 3_000;

export function testConfig(names: UniqueNames, overrides: Record<string, string> = {}): Config {
  return loadConfig(testEnvironment(names, overrides));
}

/** The environment `testConfig` parses, for a service started as its own process. */
export function testEnvironment(
  names: UniqueNames,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const infra = testInfra();
  return {
    RAPPORT_KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    RAPPORT_REDIS_URL: infra.redisUrl,
    RAPPORT_TEMPORAL_ADDRESS: infra.temporalAddress,
    RAPPORT_TEMPORAL_NAMESPACE: infra.temporalNamespace,
    RAPPORT_TEMPORAL_TASK_QUEUE: names.taskQueue,
    RAPPORT_TOPIC_INTERACTIONS: names.topic('interactions'),
    RAPPORT_TOPIC_DLQ: names.topic('dlq'),
    RAPPORT_TOPIC_PARTITIONS: '3',
    // A killed consumer's partitions move after this: the crash, pool and restart tests wait it
    // out. Near the broker's shortest (group.min.session.timeout.ms, 6 s), with room for a
    // projection that runs long on a machine loaded by three test files at once.
    RAPPORT_KAFKA_SESSION_TIMEOUT: '8s',
    RAPPORT_REDIS_KEY_PREFIX: names.keyPrefix,
    RAPPORT_WRITE_KEYS: TEST_WRITE_KEY,
    RAPPORT_READ_KEYS: TEST_READ_KEY,
    RAPPORT_ADMIN_KEYS: TEST_ADMIN_KEY,
    RAPPORT_LOG_LEVEL: 'silent',
    RAPPORT_ALLOWED_LATENESS: `${TEST_ALLOWED_LATENESS_MS}ms`,
    ...overrides,
  };
}
