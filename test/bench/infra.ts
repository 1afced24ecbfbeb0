import type { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { loadConfig, type Config } from '@rapport/config';
import { provideInfrastructure, stopInfrastructure } from '@rapport/infra';

/**
 * Real servers for a benchmark: the endpoints given in the environment (RAPPORT_KAFKA_BROKERS, …)
 * when set, else the native runners on ports of the benchmarks' own, stopped afterwards.
 */
export async function benchInfrastructure(): Promise<{
  config: Config;
  stop: () => Promise<void>;
}> {
  // Below Linux's ephemeral range (32768–60999), where no outgoing connection can be holding a
  // server's port when it binds (the infra's own probe no longer connects to itself: `listening`);
  // apart from the test harness's ports (19xxx, 22000–31999) and the dev stack's in development.md.
  const config = loadConfig({
    RAPPORT_RUN_DIR: '.rapport/bench-run',
    RAPPORT_EMBEDDED_KAFKA_PORT: '21092',
    RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: '21093',
    RAPPORT_EMBEDDED_TEMPORAL_PORT: '21233',
    RAPPORT_EMBEDDED_REDIS_PORT: '21379',
    ...process.env,
    RAPPORT_LOG_LEVEL: 'warn',
  });
  const infra = await provideInfrastructure(config, { profile: 'bench', docker: 'never' });
  const startedAny = infra.services.some((service) => service.action === 'started');
  return {
    config,
    stop: async () => {
      if (startedAny) await stopInfrastructure(config);
    },
  };
}

/** Percentile of a sorted array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

export const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

export function printTable(title: string, rows: readonly (readonly (string | number)[])[]): void {
  console.log(`\n${title}`);
  const cells = rows.map((row) => row.map(String));
  const widths = (cells[0] ?? []).map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  for (const row of cells)
    console.log(`  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`);
}

/** Deletes every key under `prefix`: a run leaves the shared Redis as it found it. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/**
 * A plain kafkajs producer with Rapport's guarantees (acks=-1 is the caller's, idempotent, one
 * request in flight), connected, after creating `topics` with `partitions` each: the baseline a
 * benchmark compares with, or how it writes a backlog.
 */
export async function rawProducer(
  config: Config,
  topics: readonly string[],
  partitions: number,
): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: config.kafka.brokers,
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}
