/**
 * `pnpm fuzz`: schemathesis against the gateway's and the query API's `/openapi.json`, at least
 * 1,000 generated cases each with every check, on real servers (those given in the environment,
 * else the benchmarks' native runners). Prints per service the cases, failures by check and 5xx
 * count; exits 1 on any failure. FUZZ_SEED=<seed> replays a run.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { benchInfrastructure, deleteKeys } from '../bench/infra.js';
import { fuzzSeed, fuzzServices, passed, summary } from './fuzz.js';

const CASES_PER_SERVICE = 1_000;

const runId = randomUUID().slice(0, 8);
const seed = fuzzSeed();
const { config, stop } = await benchInfrastructure();
const keyPrefix = `fuzz:${runId}:`;
let failed = true;
try {
  console.log(`fuzzing the gateway and the query API, seed ${seed}`);
  const started = performance.now();
  const results = await fuzzServices({
    env: {
      RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
      RAPPORT_REDIS_URL: config.redis.url,
      RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
      RAPPORT_TOPIC_INTERACTIONS: `fuzz.${runId}.interactions`,
      RAPPORT_TOPIC_DLQ: `fuzz.${runId}.dlq`,
      RAPPORT_TOPIC_PARTITIONS: '3',
      RAPPORT_REDIS_KEY_PREFIX: keyPrefix,
      RAPPORT_PROJECTOR_GROUP_ID: `fuzz-${runId}`,
      RAPPORT_LOG_LEVEL: 'error',
    },
    cacheDir: config.infra.cacheDir,
    casesPerService: CASES_PER_SERVICE,
    seed,
  });
  for (const fuzz of results.filter((result) => !passed(result))) {
    console.log(`\n${fuzz.service}: schemathesis output\n${fuzz.output}`);
  }
  console.log(`\n${summary(results, seed)}`);
  console.log(`in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  failed = !results.every(passed);
} finally {
  const redis = new Redis(config.redis.url);
  await deleteKeys(redis, keyPrefix);
  redis.disconnect();
  await stop();
}
process.exit(failed ? 1 : 0);
