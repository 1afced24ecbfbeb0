/**
 * `pnpm bench:ingest`: events/s through the gateway (POST /v1/interactions, batches of 500) beside
 * a raw kafkajs producer sending the same records to the same broker with the same guarantees
 * (acks=-1, idempotent), and p50/p99 latency of single-event requests at a fixed 1,000 req/s.
 * The gateway runs as its own process, as in production; the load comes from this one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Config } from '@rapport/config';
import { benchInfrastructure, printTable, rate } from './infra';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const BATCH = 500;
const CONCURRENCY = 8;
const CUSTOMERS = 10_000;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = 10;
const WRITE_KEY = 'bench-write-key';
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const runId = randomUUID().slice(0, 8);
const event = (index: number) => ({
  eventId: `bench-${runId}-${index}`,
  customerId: `customer-${index % CUSTOMERS}`,
  channel: 'email',
  type: 'email.replied',
  direction: 'inbound',
  occurredAt: new Date(Date.now() - 60_000).toISOString(),
  sentiment: 0.4,
  threadId: `thread-${index % 977}`,
});

const batches = (offset: number) =>
  Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, EVENTS - b * BATCH) }, (_, i) =>
      event(offset + b * BATCH + i),
    ),
  );

/** Runs `work` over the items with at most `limit` in flight; returns the elapsed milliseconds. */
async function timed<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
  return performance.now() - started;
}

async function startGatewayProcess(
  config: Config,
  topic: string,
  port: number,
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'services/gateway/src/main.ts')],
    {
      env: {
        ...process.env,
        RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
        RAPPORT_REDIS_URL: config.redis.url,
        RAPPORT_TOPIC_INTERACTIONS: topic,
        RAPPORT_TOPIC_DLQ: `${topic}.dlq`,
        RAPPORT_REDIS_KEY_PREFIX: `bench:${runId}:`,
        RAPPORT_WRITE_KEYS: WRITE_KEY,
        RAPPORT_RATE_LIMIT_PER_SECOND: '10000000',
        RAPPORT_GATEWAY_PORT: String(port),
        RAPPORT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the gateway did not become ready within 60 s');
}

async function rawProducer(config: Config, topic: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'bench-raw',
    brokers: config.kafka.brokers,
    logLevel: logLevel.WARN,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: config.kafka.partitions }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const receivedAt = new Date().toISOString();
  const records = batches(EVENTS).map((batch) =>
    batch.map((e) => ({
      key: e.customerId,
      value: JSON.stringify({ ...e, receivedAt, source: 'http' }),
    })),
  );
  const ms = await timed(records, CONCURRENCY, async (messages) => {
    await producer.send({ topic, acks: -1, messages });
  });
  await producer.disconnect();
  return ms;
}

async function throughViaGateway(url: string): Promise<number> {
  return timed(batches(0), CONCURRENCY, async (batch) => {
    const response = await fetch(`${url}/v1/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
      body: JSON.stringify({ batch }),
    });
    if (response.status !== 202)
      throw new Error(`gateway answered ${response.status}: ${await response.text()}`);
  });
}

async function latencyAtFixedRate(url: string) {
  let sequence = 10_000_000;
  const result = await autocannon({
    url: `${url}/v1/interactions`,
    connections: 50,
    overallRate: LATENCY_RATE,
    duration: LATENCY_SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(event(sequence++)) }),
      },
    ],
  });
  return result;
}

const { config, stop } = await benchInfrastructure();
const gatewayTopic = `bench.${runId}.gateway`;
const port = 18_080;
const gateway = await startGatewayProcess(config, gatewayTopic, port);
const url = `http://127.0.0.1:${port}`;
try {
  console.log(
    `ingest benchmark: ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} in flight, ${CUSTOMERS} customers`,
  );
  await throughViaGateway(url); // Warm-up: JIT, connections, topic metadata.
  const gatewayMs = await throughViaGateway(url);
  const rawMs = await rawProducer(config, `bench.${runId}.raw`);
  const gatewayRate = rate(EVENTS, gatewayMs);
  const rawRate = rate(EVENTS, rawMs);
  const latency = await latencyAtFixedRate(url);
  printTable('throughput (events/s)', [
    ['path', 'events/s', 'ratio'],
    ['gateway POST /v1/interactions', gatewayRate, (gatewayRate / rawRate).toFixed(2)],
    ['raw kafkajs producer', rawRate, '1.00'],
  ]);
  printTable(`single-event requests at ${LATENCY_RATE} req/s for ${LATENCY_SECONDS} s`, [
    ['requests', 'non-2xx', 'p50 ms', 'p97.5 ms', 'p99 ms', 'max ms'],
    [
      latency.requests.total,
      latency.non2xx,
      latency.latency.p50,
      latency.latency.p97_5,
      latency.latency.p99,
      latency.latency.max,
    ],
  ]);
} finally {
  gateway.kill('SIGTERM');
  await stop();
}
