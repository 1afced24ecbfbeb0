import { mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { cachedPaths, exists } from './fetch.js';
import { stopProcess } from './process.js';
import { ensureRunning } from './provide.js';
import { kafkaBroker } from './services.js';

/**
 * Archives the classes a Kafka broker loads for class-data sharing, once per cache: a broker on
 * free ports of its own starts, answers, and stops, and its JVM writes every class it loaded on
 * the way out (`-XX:ArchiveClassesAtExit`). Every broker after maps them instead of reading and
 * verifying them from the jars: about 1.1 CPU-s and 0.8 s less per start (docs/performance.md),
 * for `rapport up` and the tests' dozen brokers alike. Returns the archive, or why there is none:
 * the brokers then read the jars, as they always could.
 */
export async function archiveKafkaClasses(
  cacheDir: string,
): Promise<{ readonly archive: string } | { readonly skipped: string }> {
  const { kafkaClassArchive: archive } = cachedPaths(cacheDir);
  if (await exists(archive)) return { archive };
  const runDir = await mkdtemp(join(tmpdir(), 'rapport-kafka-classes-'));
  const partial = `${archive}.partial-${process.pid}`;
  try {
    const [port, controllerPort] = await freeLoopbackPorts(2);
    const config = loadConfig({
      RAPPORT_CACHE_DIR: cacheDir,
      RAPPORT_RUN_DIR: runDir,
      RAPPORT_EMBEDDED_KAFKA_PORT: String(port),
      RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: String(controllerPort),
    });
    const broker = kafkaBroker({ jvmArgs: [`-XX:ArchiveClassesAtExit=${partial}`] });
    await ensureRunning(broker, config, 'test', () => undefined);
    await stopProcess(runDir, broker.name);
    if (!(await exists(partial))) return { skipped: 'the broker wrote no archive as it stopped' };
    await rename(partial, archive);
    return { archive };
  } catch (error) {
    return { skipped: error instanceof Error ? error.message : String(error) };
  } finally {
    await rm(partial, { force: true });
    await rm(runDir, { recursive: true, force: true });
  }
}

/** Ports the kernel has free on the loopback now, all held until each is known. */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer().once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
