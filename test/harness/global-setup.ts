import { loadConfig, maskPassword, type Config } from '@rapport/config';
import {
  fetchTemporal,
  provideInfrastructure,
  run,
  startRedisCluster,
  stopInfrastructure,
  type ServiceName,
} from '@rapport/infra';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildDashboard } from '@rapport/dashboard/build';
import { buildWorkflowBundle } from '@rapport/worker';
import type { TestProject } from 'vitest/node';
import { startContainers } from './containers.js';
import { WORKSPACE_ROOT } from './durations.js';
import type { Source, TestInfra } from './endpoints.js';
import { freeClusterPorts } from './ports.js';

/**
 * Ports and run folder of the native runners under test: apart from `rapport up`'s defaults so
 * that a developer's running stack and the test suite never meet.
 */
const TEST_RUNNER_ENV = {
  RAPPORT_RUN_DIR: '.rapport/test-run',
  RAPPORT_EMBEDDED_KAFKA_PORT: '19092',
  RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: '19093',
  RAPPORT_EMBEDDED_TEMPORAL_PORT: '17233',
  RAPPORT_EMBEDDED_REDIS_PORT: '16379',
};

/**
 * Gives every integration test real Kafka, Temporal and Redis, in this order of preference:
 * endpoints given in the environment (RAPPORT_KAFKA_BROKERS, RAPPORT_TEMPORAL_ADDRESS,
 * RAPPORT_REDIS_URL), else containers when a container runtime answers, else the native runners.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = performance.now();
  const config = loadConfig({ ...process.env, ...TEST_RUNNER_ENV });
  const missing = (['kafka', 'temporal', 'redis'] as const).filter(
    (name: ServiceName) => !config.infra[name].given,
  );
  // What a step started, stopped again if another step fails: no server outlives a failed setup.
  const stops: (() => Promise<void>)[] = [];
  const stoppable = <T>(step: Promise<T>, stop: (value: T) => Promise<void>) =>
    step.then((value) => {
      stops.push(() => stop(value));
      return value;
    });
  const steps = [
    fetchTemporal(config.infra.cacheDir),
    stoppable(provideMissing(config, missing), (provided) => provided.teardown()),
    stoppable(provideRedisCluster(config.infra.runDir), (cluster) => cluster.stop()),
    bundleOnce(config.infra.runDir),
    // The query API serves what was built: from this checkout's source, not an older build.
    buildDashboard(),
    compileServices(),
  ] as const;
  const failure = (await Promise.allSettled(steps)).find((step) => step.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(stops.map((stop) => stop()));
    throw failure.reason;
  }
  const [{ testServer }, provided, redisCluster, workflowBundle] = await Promise.all(steps);
  const infra: TestInfra = {
    ...provided.endpoints,
    redisClusterUrl: redisCluster.url,
    temporalNamespace: config.temporal.namespace,
    temporalTestServer: testServer,
    workflowBundle,
  };
  project.provide('infra', infra);
  console.log(
    `[harness] infrastructure ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
      `kafka ${infra.kafkaBrokers.join(',')} (${infra.sources.kafka}), ` +
      `temporal ${infra.temporalAddress} (${infra.sources.temporal}), ` +
      `redis ${maskPassword(infra.redisUrl)} (${infra.sources.redis}), ` +
      `redis cluster ${maskPassword(infra.redisClusterUrl)}`,
  );
  return async () => {
    await Promise.all([provided.teardown(), redisCluster.stop()]);
  };
}

/**
 * The Redis Cluster the read side's suites also run on: RAPPORT_TEST_REDIS_CLUSTER_URL (a node
 * of one), else three masters of Debian's redis-server, started for this run.
 */
async function provideRedisCluster(runDir: string) {
  const given = process.env['RAPPORT_TEST_REDIS_CLUSTER_URL'];
  if (given) return { url: given, stop: () => Promise.resolve() };
  const { ports, busPorts } = await freeClusterPorts(3);
  return startRedisCluster(join(resolve(runDir), 'redis-cluster'), ports, { busPorts });
}

/**
 * The services' JavaScript in their dist/, compiled from this checkout's source (`tsgo -b`, as
 * `pnpm check` just did: then nothing is left to compile). The suites start services from it,
 * as the container image runs them (`spawnService`); a start through tsx costs twice the
 * processor time. The build refuses to emit what does not type-check, so a failure here stops
 * the run instead of testing an older build.
 */
async function compileServices(): Promise<void> {
  await run(join(WORKSPACE_ROOT, 'node_modules/.bin/tsgo'), ['-b', 'tsconfig.build.json'], {
    cwd: WORKSPACE_ROOT,
  });
}

/** The workflow code, bundled from source once for every test file; its path. */
async function bundleOnce(runDir: string): Promise<string> {
  const { code } = await buildWorkflowBundle();
  await mkdir(runDir, { recursive: true });
  const path = join(resolve(runDir), 'workflow-bundle.js');
  await writeFile(path, code);
  return path;
}

type Endpoints = Omit<
  TestInfra,
  'temporalNamespace' | 'temporalTestServer' | 'workflowBundle' | 'redisClusterUrl'
>;

async function provideMissing(
  config: Config,
  missing: readonly ServiceName[],
): Promise<{ endpoints: Endpoints; teardown: () => Promise<void> }> {
  const given: Endpoints = {
    kafkaBrokers: config.kafka.brokers,
    redisUrl: config.redis.url,
    temporalAddress: config.temporal.address,
    sources: sourcesFor(missing, 'env'),
  };
  if (missing.length === 0) return { endpoints: given, teardown: () => Promise.resolve() };
  const containers = await startContainers(missing);
  if (containers) {
    return {
      endpoints: { ...given, ...containers.endpoints, sources: sourcesFor(missing, 'container') },
      teardown: containers.stop,
    };
  }
  await provideInfrastructure(config, { profile: 'test', docker: 'never' });
  return {
    endpoints: { ...given, sources: sourcesFor(missing, 'native') },
    // The test run folder is the harness's own, so teardown stops everything recorded there,
    // including servers that a crashed earlier run left behind and this run reused.
    teardown: async () => {
      await stopInfrastructure(config);
    },
  };
}

function sourcesFor(missing: readonly ServiceName[], mode: Source): TestInfra['sources'] {
  const of = (name: ServiceName): Source => (missing.includes(name) ? mode : 'env');
  return { kafka: of('kafka'), temporal: of('temporal'), redis: of('redis') };
}
