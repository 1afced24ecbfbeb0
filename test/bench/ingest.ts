/**
 * `pnpm bench:ingest`: events/s through the gateway (POST /v1/interactions, batches of 500) beside
 * a raw kafkajs producer sending the same records to the same broker with the same guarantees
 * (acks=-1, idempotent), and p50/p99 latency of single events at a fixed 1,000 per second, again
 * through the gateway beside the raw producer. The gateway runs as its own process, as in
 * production; the load comes from this one.
 *
 * Latency is measured open-loop: sends are spaced evenly and each latency counts from the instant
 * the send was due, so a stall is charged to every request it delayed (no coordinated omission).
 * autocannon's rate limiter fires each second's requests in bursts and reported several times the
 * latency of evenly spaced load, which is what clients send.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { Config } from '@rapport/config';
import { benchInfrastructure, percentile, printTable, rate } from './infra';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const BATCH = 500;
const CONCURRENCY = 8;
const CUSTOMERS = 10_000;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = 10;
const WRITE_KEY = 'bench-write-key';
const GATEWAY_PORT = 18_080;
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
const stampedRecord = (index: number) => {
  const sent = event(index);
  const stamped = { ...sent, receivedAt: new Date().toISOString(), source: 'http' };
  return { key: sent.customerId, value: JSON.stringify(stamped) };
};

const batches = <T>(offset: number, make: (index: number) => T): T[][] =>
  Array.from({ length: Math.ceil(EVENTS / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, EVENTS - b * BATCH) }, (_, i) =>
      make(offset + b * BATCH + i),
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

/** Sends `send(i)` at `perSecond`, evenly spaced; each latency counts from its due instant. */
async function openLoop(
  perSecond: number,
  seconds: number,
  send: (index: number) => Promise<void>,
): Promise<number[]> {
  const total = perSecond * seconds;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
    for (; sent < due; sent += 1) {
      const dueAt = started + (sent / perSecond) * 1000;
      pending.push(send(sent).then(() => void latencies.push(performance.now() - dueAt)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return latencies.sort((a, b) => a - b);
}

async function startGatewayProcess(config: Config, topic: string): Promise<ChildProcess> {
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
        RAPPORT_GATEWAY_PORT: String(GATEWAY_PORT),
        RAPPORT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${GATEWAY_PORT}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the gateway did not become ready within 60 s');
}

async function rawProducer(config: Config, topic: string): Promise<Producer> {
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
  return producer;
}

const post = async (url: string, body: unknown) => {
  const response = await fetch(`${url}/v1/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
    body: JSON.stringify(body),
  });
  if (response.status !== 202)
    throw new Error(`gateway answered ${response.status}: ${await response.text()}`);
  await response.arrayBuffer();
};

const latencyRow = (path: string, latencies: readonly number[]) => [
  path,
  latencies.length,
  percentile(latencies, 50).toFixed(1),
  percentile(latencies, 99).toFixed(1),
  (latencies.at(-1) ?? Number.NaN).toFixed(1),
];

const { config, stop } = await benchInfrastructure();
const gateway = await startGatewayProcess(config, `bench.${runId}.gateway`);
const url = `http://127.0.0.1:${GATEWAY_PORT}`;
const rawTopic = `bench.${runId}.raw`;
const producer = await rawProducer(config, rawTopic);
try {
  console.log(
    `ingest: ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} in flight, ${CUSTOMERS} customers`,
  );
  const gatewayBatches = batches(0, event);
  await timed(batches(EVENTS, event), CONCURRENCY, (batch) => post(url, { batch })); // Warm-up.
  const gatewayMs = await timed(gatewayBatches, CONCURRENCY, (batch) => post(url, { batch }));
  const rawMs = await timed(batches(0, stampedRecord), CONCURRENCY, async (messages) => {
    await producer.send({ topic: rawTopic, acks: -1, messages });
  });
  const viaGateway = await openLoop(LATENCY_RATE, LATENCY_SECONDS, (index) =>
    post(url, event(10_000_000 + index)),
  );
  const viaRaw = await openLoop(LATENCY_RATE, LATENCY_SECONDS, async (index) => {
    await producer.send({
      topic: rawTopic,
      acks: -1,
      messages: [stampedRecord(20_000_000 + index)],
    });
  });
  const gatewayRate = rate(EVENTS, gatewayMs);
  const rawRate = rate(EVENTS, rawMs);
  printTable('throughput (events/s)', [
    ['path', 'events/s', 'ratio'],
    ['gateway POST /v1/interactions', gatewayRate, (gatewayRate / rawRate).toFixed(2)],
    ['raw kafkajs producer', rawRate, '1.00'],
  ]);
  printTable(`single events at ${LATENCY_RATE}/s for ${LATENCY_SECONDS} s, open loop (ms)`, [
    ['path', 'events', 'p50', 'p99', 'max'],
    latencyRow('gateway POST /v1/interactions', viaGateway),
    latencyRow('raw kafkajs producer send', viaRaw),
  ]);
} finally {
  await producer.disconnect();
  gateway.kill('SIGTERM');
  await stop();
}
