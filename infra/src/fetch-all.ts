import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ensureChromium,
  ensureRedisServer,
  fetchKafka,
  fetchSchemathesis,
  fetchTemporal,
  type CachedBinaries,
} from './fetch.js';
import { archiveKafkaClasses } from './kafka-classes.js';

/**
 * Everything the native runners and the test suite (its fuzzer and its browser) need, fetched in
 * parallel, and the classes a Kafka broker loads archived once its jars are there (beside the
 * other downloads on a new machine); a no-op once cached. `rapport fetch`, and so
 * `infra/setup.sh`, runs it.
 */
export async function fetchAll(cacheDir: string): Promise<{
  readonly binaries: CachedBinaries & {
    readonly schemathesisPython: string;
    readonly chromium: string;
  };
  readonly kafkaClasses: Awaited<ReturnType<typeof archiveKafkaClasses>>;
}> {
  const [[kafkaLibs, kafkaClasses], temporal, redisServer, schemathesisPython, chromium] =
    await Promise.all([
      fetchKafka(cacheDir).then(
        async (libs) => [libs, await archiveKafkaClasses(cacheDir)] as const,
      ),
      fetchTemporal(cacheDir),
      ensureRedisServer(),
      fetchSchemathesis(cacheDir),
      ensureChromium(),
    ]);
  await writeFile(join(cacheDir, 'README'), 'Cache of `rapport` (infra/): safe to delete.\n');
  return {
    binaries: {
      kafkaLibs,
      temporalCli: temporal.cli,
      temporalTestServer: temporal.testServer,
      redisServer,
      schemathesisPython,
      chromium,
    },
    kafkaClasses,
  };
}
