import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { archiveKafkaClasses, cachedPaths } from '@rapport/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig, uniqueNames } from '../harness/index.js';

/**
 * `rapport fetch` archives the classes a broker loads (infra/src/kafka-classes.ts), in a cache of
 * its own here, next to the suite's jars.
 */
describe('the Kafka broker class archive', () => {
  const libs = cachedPaths(testConfig(uniqueNames('class-archive')).infra.cacheDir).kafkaLibs;
  let cacheDir: string;
  let own: ReturnType<typeof cachedPaths>;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'rapport-class-archive-'));
    own = cachedPaths(cacheDir);
    await mkdir(dirname(own.kafkaLibs), { recursive: true });
    await symlink(libs, own.kafkaLibs);
  });

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('is written by a broker that starts and stops, and a JVM that must share it can', async () => {
    expect(await archiveKafkaClasses(cacheDir)).toEqual({ archive: own.kafkaClassArchive });
    const written = await stat(own.kafkaClassArchive);
    // -Xshare:on: the JVM refuses to start rather than read the jars if it cannot map the archive.
    const { stdout } = await promisify(execFile)('java', [
      '-Xshare:on',
      `-XX:SharedArchiveFile=${own.kafkaClassArchive}`,
      '-cp',
      `${own.kafkaLibs}/*`,
      'kafka.Kafka',
      '--version',
    ]);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+/);

    // Once per cache: a second fetch finds it and starts no broker.
    expect(await archiveKafkaClasses(cacheDir)).toEqual({ archive: own.kafkaClassArchive });
    expect((await stat(own.kafkaClassArchive)).mtimeMs).toBe(written.mtimeMs);
  }, 90_000);
});
