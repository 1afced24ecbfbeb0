/**
 * `pnpm bench:ingest`: p50/p99 latency of single events at a fixed 1,000 per second through the
 * gateway (POST /v1/interactions), beside the same gateway's GET /healthz at that rate (the HTTP
 * floor: what the load generator and HTTP cost alone) and a raw kafkajs producer sending the same
 * records to the same broker with the same guarantees (acks=-1, idempotent); then events/s in
 * batches of 500, through the gateway beside the raw producer. The gateway runs as its own
 * process, as in production (a pool of BENCH_GATEWAY_PROCESSES workers, `auto` by default); the
 * load comes from this one.
 *
 * Latency is measured open-loop (see `openLoop`): sends are spaced evenly and each latency counts
 * from the instant the send was due. Not autocannon: its rate limiter fires each second's requests
 * in bursts, which is not how clients send, so its latencies measured the bursts
 * (docs/performance.md, ingestion). Beside them, the gateway's floor (`http-kafka-floor.ts`:
 * node:http and the gateway's own producer, nothing else), in its own process.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '@rapport/config';
import { cpuBetween, cpuByGroup, serverPids } from './cpu.js';
import { benchInfrastructure, percentile, printTable, rate, rawProducer } from './infra.js';
import { expectStatus, httpClient, latencyRow, openLoop, timedInFlight } from './load.js';
import { rawProducerRate } from './raw-rate.js';
import { startProcess, startService, type ServiceProcess } from './service.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const BATCH = 500;
const CONCURRENCY = 8;
const CUSTOMERS = 10_000;
const LATENCY_RATE = 1_000;
const LATENCY_SECONDS = 10;
const WARM_UP_SECONDS = 5;
/** The first warm-up, through the gateway: long enough for the broker's JIT too. */
const BROKER_WARM_UP_SECONDS = 30;
const WRITE_KEY = 'bench-write-key';
const GATEWAY_PORT = 18_080;
const FLOOR_PORT = 18_081;
/** The gateway's RAPPORT_GATEWAY_PROCESSES: `auto` (one per core, the default) or a count. */
const PROCESSES = process.env['BENCH_GATEWAY_PROCESSES'] ?? 'auto';

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

const gatewayEnv = (config: Config, topic: string): NodeJS.ProcessEnv => ({
  ...process.env,
  RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
  RAPPORT_REDIS_URL: config.redis.url,
  RAPPORT_TOPIC_INTERACTIONS: topic,
  RAPPORT_TOPIC_DLQ: `${topic}.dlq`,
  RAPPORT_REDIS_KEY_PREFIX: `bench:${runId}:`,
  RAPPORT_WRITE_KEYS: WRITE_KEY,
  RAPPORT_RATE_LIMIT_PER_SECOND: '10000000',
  RAPPORT_GATEWAY_PORT: String(GATEWAY_PORT),
  RAPPORT_GATEWAY_PROCESSES: PROCESSES,
  RAPPORT_LOG_LEVEL: 'warn',
});

/** Summed over the pool's workers by its /metrics. */
const GATEWAY_CPU = 'rapport_gateway_process_cpu_seconds_total';
const accepted = expectStatus(202);
const ok = expectStatus(200);
/** Whose CPU is counted per single event: the gateway's pool, its floor, the servers, the load. */
const CPU_GROUPS = ['gateway', 'floor', 'redis', 'kafka', 'load'] as const;

const { config, stop } = await benchInfrastructure();
const gateway = await startService(
  'gateway',
  gatewayEnv(config, `bench.${runId}.gateway`),
  GATEWAY_PORT,
);
const client = () => httpClient(gateway.url, { authorization: `Bearer ${WRITE_KEY}` });
const http = client();
/**
 * The batches' own connections, opened together so that the pool's round robin spreads them over
 * its processes. On the single events' connections, kept alive, the batches could all land on
 * one of them (a kept-alive connection stays with the process that accepted it): one process did
 * the whole pass in a profiled run while the other idled.
 */
const batchHttp = client();
const postTo = (to: typeof http) => (body: string) =>
  to.send('POST', '/v1/interactions', body).then(accepted);
const postSingle = postTo(http);
const post = (body: unknown) => postSingle(JSON.stringify(body));
const postBatch = postTo(batchHttp);
const rawTopic = `bench.${runId}.raw`;
const producer = await rawProducer(config, [rawTopic], config.kafka.partitions);
const sendRaw = (messages: { key: string; value: string }[]) =>
  producer.send({ topic: rawTopic, acks: -1, messages });
const floorTopic = `bench.${runId}.floor`;
let floorServer: ServiceProcess | undefined;
let floorHttp: ReturnType<typeof httpClient> | undefined;
try {
  // With the gateway's Node flags, so that its collector works as the gateway's does.
  floorServer = await startProcess(
    'test/bench/http-kafka-floor.ts',
    'gateway',
    {
      ...process.env,
      RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
      RAPPORT_TOPIC_INTERACTIONS: floorTopic,
      RAPPORT_TOPIC_DLQ: `${floorTopic}.dlq`,
      RAPPORT_LOG_LEVEL: 'warn',
      FLOOR_PORT: String(FLOOR_PORT),
    },
    FLOOR_PORT,
  );
  const toFloor = httpClient(floorServer.url, {});
  floorHttp = toFloor;
  const servers = await serverPids(config.infra.runDir);
  const groups = new Map<string, readonly number[]>([
    ['gateway', [gateway.child.pid ?? 0]],
    ['floor', [floorServer.child.pid ?? 0]],
    ['redis', servers.get('redis') ?? []],
    ['kafka', servers.get('kafka') ?? []],
  ]);
  const cpuNow = () => cpuByGroup(groups, { name: 'load', root: process.pid });
  /** Each pass's CPU per event (µs), by process group. */
  const singleCpu = new Map<string, Map<string, number>>();
  const withCpu = async <T>(path: string, pass: () => Promise<T>): Promise<T> => {
    const before = await cpuNow();
    const result = await pass();
    singleCpu.set(path, cpuBetween(before, await cpuNow(), (LATENCY_RATE * LATENCY_SECONDS) / 1e6));
    return result;
  };
  console.log(
    `ingest: single events at ${LATENCY_RATE}/s for ${LATENCY_SECONDS} s, then ${EVENTS} events in batches of ${BATCH}, ${CONCURRENCY} in flight, ${CUSTOMERS} customers; RAPPORT_GATEWAY_PROCESSES=${PROCESSES}`,
  );
  // Latency first, on a broker not yet busy writing out the throughput runs' data. Every path
  // warms up at the same rate before any is measured: the gateway's own JIT and connections,
  // and the broker's, whose compiler works for its first half minute of traffic and would
  // otherwise weigh on whichever path went first (docs/performance.md, ingestion).
  const single = (index: number) => post(event(10_000_000 + index));
  const healthz = () => http.send('GET', '/healthz').then(ok);
  const raw = (index: number) => sendRaw([stampedRecord(20_000_000 + index)]);
  const floorPost = (index: number) =>
    toFloor.send('POST', '/', JSON.stringify(event(30_000_000 + index))).then(accepted);
  await openLoop(LATENCY_RATE, BROKER_WARM_UP_SECONDS, (index) => single(index + 1_000_000));
  await openLoop(LATENCY_RATE, WARM_UP_SECONDS, (index) => raw(index + 1_000_000));
  await openLoop(LATENCY_RATE, WARM_UP_SECONDS, (index) => floorPost(index + 1_000_000));
  // The gateway and its floor one after the other, the two compared most closely.
  const viaGateway = await withCpu('gateway', () =>
    openLoop(LATENCY_RATE, LATENCY_SECONDS, single),
  );
  const viaFloor = await withCpu('floor', () => openLoop(LATENCY_RATE, LATENCY_SECONDS, floorPost));
  const viaHealthz = await openLoop(LATENCY_RATE, LATENCY_SECONDS, healthz);
  const viaRaw = await withCpu('raw', () => openLoop(LATENCY_RATE, LATENCY_SECONDS, raw));

  // The bodies are serialised before the clock starts, as a client builds its own; the raw
  // producer's records are strings made beforehand too. The raw producer runs before and after
  // the gateway and the ratio is taken against the mean: on these machines its rate alone moves
  // by a quarter from one pass to the next (docs/performance.md, ingestion).
  const bodies = (offset: number) =>
    batches(offset, event).map((batch) => JSON.stringify({ batch }));
  const rawRecords = batches(0, stampedRecord).flat();
  const gatewayBodies = bodies(0);
  await timedInFlight(bodies(EVENTS), CONCURRENCY, postBatch); // Warm-up.
  const rawBefore = await rawProducerRate(producer, rawTopic, rawRecords, BATCH, CONCURRENCY);
  const cpuBefore = (await gateway.metrics()).value(GATEWAY_CPU);
  const gatewayMs = await timedInFlight(gatewayBodies, CONCURRENCY, postBatch);
  const cpuPerEvent = ((await gateway.metrics()).value(GATEWAY_CPU) - cpuBefore) / EVENTS;
  const gatewayRate = rate(EVENTS, gatewayMs);
  const rawAfter = await rawProducerRate(producer, rawTopic, rawRecords, BATCH, CONCURRENCY);
  const rawRate = Math.round((rawBefore + rawAfter) / 2);
  printTable(`single events at ${LATENCY_RATE}/s for ${LATENCY_SECONDS} s, open loop (ms)`, [
    ['path', 'events', 'p50', 'p99', 'max'],
    latencyRow('gateway POST /v1/interactions', viaGateway),
    latencyRow('gateway GET /healthz (HTTP floor)', viaHealthz),
    latencyRow('raw kafkajs producer send', viaRaw),
    latencyRow("node:http + the gateway's producer (its floor)", viaFloor),
  ]);
  printTable(`CPU per single event over each pass (µs)`, [
    ['path', ...CPU_GROUPS],
    ...[...singleCpu].map(([path, used]) => [
      path,
      ...CPU_GROUPS.map((group) => (used.get(group) ?? Number.NaN).toFixed(0)),
    ]),
  ]);
  const p99 = (latencies: readonly number[]) => percentile(latencies, 99);
  console.log(
    `  p99 / the raw producer's: gateway ${(p99(viaGateway) / p99(viaRaw)).toFixed(2)}, ` +
      `its floor ${(p99(viaFloor) / p99(viaRaw)).toFixed(2)}; gateway ÷ floor ${(p99(viaGateway) / p99(viaFloor)).toFixed(2)}`,
  );
  printTable('throughput (events/s)', [
    ['path', 'events/s', 'ratio'],
    ['gateway POST /v1/interactions', gatewayRate, (gatewayRate / rawRate).toFixed(2)],
    ['raw kafkajs producer: mean', rawRate, '1.00'],
    ['  before the gateway, after', `${rawBefore}, ${rawAfter}`, ''],
  ]);
  console.log(
    `  gateway CPU (every worker): ${(cpuPerEvent * 1e6).toFixed(1)} µs per event in batches`,
  );
} finally {
  await producer.disconnect();
  http.close();
  batchHttp.close();
  floorHttp?.close();
  await floorServer?.stop();
  await gateway.stop();
  await stop();
}
