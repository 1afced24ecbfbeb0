/**
 * `pnpm bench:project`: the projector's throughput on a backlog (BENCH_EVENTS events over
 * BENCH_CUSTOMERS customers, default 1,000,000 over 100,000), beside `redis-benchmark` running
 * the projector's own scripts for as many customer writes, pipelined, on the same Redis (how
 * close to Redis's own limit the projector is); then the freshness from the gateway's
 * acknowledgement to the change on the stream at a steady 2,000 events/s, through the gateway as
 * its default pool and as one process; and Redis memory per customer. The projector and the
 * gateway run as their own processes, as in production.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { createModel, seededRandom } from '@rapport/model';
import {
  dataOf,
  INDEX_CHUNK,
  KeySpace,
  ReadModel,
  readModelOptions,
  WRITE_SCRIPTS,
} from '@rapport/read-model';
import { loadConfig, type Config } from '@rapport/config';
import { run } from '@rapport/infra';
import { cpuOf, serverPids } from './cpu.js';
import { benchInfrastructure, deleteKeys, printTable, rate, rawProducer } from './infra.js';
import { INTERACTION_MIX } from './interaction-mix.js';
import { httpClient, latencyRow, openLoop } from './load.js';
import { startService, type ServiceProcess } from './service.js';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 1_000_000);
const CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? 100_000);
/** The projector's RAPPORT_PROJECTOR_PROCESSES: `auto` (one per core, the default) or a count. */
const PROCESSES = process.env['BENCH_PROJECTOR_PROCESSES'] ?? 'auto';
/** The benchmark's store has one index shard, the default (RAPPORT_REDIS_INDEX_SHARDS unset). */
const ONE_SHARD = { index: 0, count: 1 } as const;
const FRESHNESS_RATE = 2_000;
const FRESHNESS_SECONDS = 15;
/**
 * Not measured: the gateway starts cold, and the projector has just drained the backlog. A broker
 * the benchmark has just started compiles (C2) its request paths as traffic first reaches them,
 * which takes CPU from the pipeline for a while (docs/performance.md, session 15): start-up, not
 * the steady state this measures. A longer warm-up costs run time; a shorter one lets that
 * compilation into the measurement.
 */
const FRESHNESS_WARMUP_SECONDS = 30;
/**
 * The gateway's RAPPORT_GATEWAY_PROCESSES in each freshness pass: its default pool, then one
 * process, which at this rate leaves more of the two cores to the rest of the pipeline.
 */
const FRESHNESS_GATEWAYS = [
  { processes: 'auto', label: 'pool (auto, the default)' },
  { processes: '1', label: 'one process' },
] as const;
const WRITE_KEY = 'bench-write-key';
const DAY = 86_400_000;

const runId = randomUUID().slice(0, 8);
const names = {
  topic: `bench.${runId}.project`,
  prefix: `bench:${runId}:`,
  group: `bench-${runId}-projector`,
};

/** A realistic mix over the last 60 days, the customer drawn at random (seeded). */
function* events(count: number, customers: number, seed: number, now: number) {
  const next = seededRandom(seed);
  const receivedAt = new Date(now).toISOString();
  for (let index = 0; index < count; index += 1) {
    const [type, channel, direction] =
      INTERACTION_MIX[Math.floor(next() * INTERACTION_MIX.length)] ?? INTERACTION_MIX[0];
    yield {
      eventId: `bench-${runId}-${seed}-${index}`,
      customerId: `customer-${Math.floor(next() * customers)}`,
      channel,
      type,
      direction,
      occurredAt: new Date(now - Math.floor(next() * 60 * DAY)).toISOString(),
      receivedAt,
      source: type.startsWith('sla.') ? 'engine' : 'http',
      ...(next() < 0.3 ? { sentiment: Math.round((next() * 2 - 1) * 100) / 100 } : {}),
    };
  }
}

/** The backlog, written with a plain kafkajs producer (acks=-1, idempotent), keyed by customer. */
async function produce(config: Config): Promise<number> {
  const producer = await rawProducer(config, [names.topic, `${names.topic}.dlq`], 12);
  const started = performance.now();
  let batch: { key: string; value: string }[] = [];
  const inFlight: Promise<unknown>[] = [];
  for (const event of events(EVENTS, CUSTOMERS, 1, Date.now())) {
    batch.push({ key: event.customerId, value: JSON.stringify(event) });
    if (batch.length === 2_000) {
      inFlight.push(producer.send({ topic: names.topic, acks: -1, messages: batch }));
      batch = [];
      if (inFlight.length >= 4) await inFlight.shift();
    }
  }
  inFlight.push(producer.send({ topic: names.topic, acks: -1, messages: batch }));
  await Promise.all(inFlight);
  await producer.disconnect();
  return performance.now() - started;
}

function serviceEnv(config: Config, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_REDIS_URL: config.redis.url,
    RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
    RAPPORT_TOPIC_INTERACTIONS: names.topic,
    RAPPORT_TOPIC_DLQ: `${names.topic}.dlq`,
    RAPPORT_TOPIC_PARTITIONS: '12',
    RAPPORT_REDIS_KEY_PREFIX: names.prefix,
    RAPPORT_PROJECTOR_GROUP_ID: names.group,
    RAPPORT_WRITE_KEYS: WRITE_KEY,
    RAPPORT_READ_KEYS: 'bench-read-key',
    RAPPORT_RATE_LIMIT_PER_SECOND: '10000000',
    RAPPORT_LOG_LEVEL: 'warn',
    ...extra,
  };
}

const CPU_SECONDS = 'rapport_projector_process_cpu_seconds_total';
const WRITES = 'rapport_projector_customer_writes_total';

/** The projector: one process, a pool's primary whose /metrics sums its workers'. */
function startProjector(config: Config): Promise<ServiceProcess> {
  const port = 18_382;
  return startService(
    'projector',
    serviceEnv(config, {
      RAPPORT_PROJECTOR_PORT: String(port),
      RAPPORT_PROJECTOR_PROCESSES: PROCESSES,
    }),
    port,
  );
}

/** CPU seconds the benchmark's own Redis and Kafka have used (NaN for a server given by URL). */
interface ServersCpu {
  readonly redis: number;
  readonly kafka: number;
}

/**
 * Time from the projector's start (`started`) to every event applied, and from its first batch;
 * the projector's CPU and the servers' (`serversCpu`) over the latter.
 */
async function projectBacklog(
  store: ReadModel,
  projector: ServiceProcess,
  started: number,
  serversCpu: () => Promise<ServersCpu>,
) {
  // The projector may be well into the backlog by the time it answers /readyz: what it did before
  // the first look is left out of the steady rate (events and CPU alike).
  let first = Number.NaN;
  let cpuAtFirst = Number.NaN;
  let doneAtFirst = 0;
  let writesAtFirst = 0;
  let serversAtFirst: ServersCpu = { redis: Number.NaN, kafka: Number.NaN };
  for (;;) {
    const progress = await store.generations.progress('0', names.group);
    const done = [...progress.values()].reduce((sum, offset) => sum + offset + 1, 0);
    if (done > 0 && Number.isNaN(first)) {
      first = performance.now();
      let reading;
      [reading, serversAtFirst] = await Promise.all([projector.metrics(), serversCpu()]);
      cpuAtFirst = reading.value(CPU_SECONDS);
      writesAtFirst = reading.value(WRITES);
      doneAtFirst = done;
    }
    if (done >= EVENTS) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const finished = performance.now();
  const [reading, serversAtEnd] = await Promise.all([projector.metrics(), serversCpu()]);
  const writes = reading.value(WRITES);
  // CPU the projector processes used, which competing processes on the machine do not inflate.
  const cpuSeconds = reading.value(CPU_SECONDS) - cpuAtFirst;
  return {
    totalMs: finished - started,
    steadyMs: finished - first,
    steadyEvents: EVENTS - doneAtFirst,
    steadyWrites: writes - writesAtFirst,
    writes,
    cpuSeconds,
    servers: {
      redis: serversAtEnd.redis - serversAtFirst.redis,
      kafka: serversAtEnd.kafka - serversAtFirst.kafka,
    },
  };
}

/**
 * redis-benchmark doing the Redis work of `writes` customer writes as the projector sends it:
 * the guarded write once per customer, the index script once per INDEX_CHUNK customers;
 * pipelined 16 deep. Returns customers per second for each script, and Redis's CPU seconds for
 * both (`redisCpu`).
 */
async function redisBenchmark(
  config: Config,
  redis: Redis,
  writes: number,
  data: string,
  redisCpu: () => Promise<number>,
) {
  const url = new URL(config.redis.url);
  const commitSha = String(await redis.script('LOAD', WRITE_SCRIPTS.commit));
  const indexSha = String(await redis.script('LOAD', WRITE_SCRIPTS.index));
  const base = ['-h', url.hostname, '-p', url.port || '6379', '-P', '16', '-r', '1000000000', '-q'];
  const customer = `${names.prefix}rb:{__rand_int__}`;
  // A framed log entry (packages/read-model/src/logs.ts) of a real one's size, as `data` is: the
  // script reads only the frames, and a command line cannot carry the real bytes either. The
  // frame, varint(bytes × 2), is one byte only below 64 bytes, and a character past 127 would be
  // sent as two bytes of UTF-8: larger entries need a real varint.
  const logEntry = (bytes: number) => {
    if (!Number.isInteger(bytes) || bytes < 0 || bytes >= 64) {
      throw new Error(`logEntry frames entries of 0 to 63 bytes, not ${bytes}`);
    }
    return String.fromCharCode(bytes * 2) + 'x'.repeat(bytes);
  };
  const commit = [
    ...base,
    '-n',
    String(writes),
    'EVALSHA',
    commitSha,
    '4',
    customer,
    `${customer}:d`,
    `${customer}:h`,
    `${customer}:e`,
    '0',
    '0',
    '__rand_int__',
    data,
    '50',
    '20',
    logEntry(13),
    'o',
    logEntry(34),
    '1',
  ];
  const keys = new KeySpace(`${names.prefix}rb:`);
  const index = keys.index('0', ONE_SHARD);
  const change =
    '{"revision":1,"status":"cooling","stage":"active","engagement":41.27,"participation":55.1,"trust":0.6123,"changedAt":"2026-01-01T00:00:00.000Z","lastEvent":"2026-01-01T00:00:00.000Z","events":9,"eventId":"bench-0000-1-123456"}';
  const indexCalls = Math.ceil(writes / INDEX_CHUNK);
  const indexArgs = [
    ...base,
    '-n',
    String(indexCalls),
    'EVALSHA',
    indexSha,
    '5',
    index.schedule,
    index.atRisk,
    index.dormant,
    `${names.prefix}rb:{index}:changes`,
    keys.progress('0', 'rb', ONE_SHARD),
    String(Date.now()),
    String(config.readModel.changeStreamLength),
    String(INDEX_CHUNK),
    // redis-benchmark draws a new number for every placeholder: a different customer each.
    ...Array.from({ length: INDEX_CHUNK }, () => [
      'customer-__rand_int__',
      '1',
      '1767225600000.5',
      '1768225600000.5',
      '1769225600000.5',
      change,
    ]).flat(),
  ];
  const perSecond = async (args: string[]) => {
    const { stdout } = await run('redis-benchmark', args);
    return Number(/([\d.]+) requests per second/.exec(stdout.split('\r').at(-1) ?? stdout)?.[1]);
  };
  const before = await redisCpu();
  const commitRate = await perSecond(commit);
  const indexRate = (await perSecond(indexArgs)) * INDEX_CHUNK;
  return {
    commit: commitRate,
    index: indexRate,
    redisCpuSeconds: (await redisCpu()) - before,
  };
}

/**
 * Gateway acknowledgement → change on the stream, for single events at a steady rate, through a
 * gateway of `processes` workers; `seed` keeps each pass's events apart from the others'.
 */
async function freshness(config: Config, keys: KeySpace, processes: string, seed: number) {
  const port = 18_380;
  const gateway = await startService(
    'gateway',
    serviceEnv(config, {
      RAPPORT_GATEWAY_PORT: String(port),
      RAPPORT_GATEWAY_PROCESSES: processes,
    }),
    port,
  );
  const http = httpClient(gateway.url, { authorization: `Bearer ${WRITE_KEY}` });
  const reader = new Redis(config.redis.url);
  /** Epoch milliseconds, as Redis stream ids count them. */
  const acked = new Map<string, number>();
  const arrived = new Map<string, number>();
  let reading = true;
  let lastId = '$';
  const consume = (async () => {
    while (reading) {
      const reply = await reader.xread(
        'COUNT',
        1000,
        'BLOCK',
        200,
        'STREAMS',
        keys.changes(ONE_SHARD),
        lastId,
      );
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          lastId = id;
          // A write that folded several events names its newest; the others are not matched.
          const eventId = /"eventId":"([^"]+)"/.exec(fields[3] ?? '')?.[1];
          // When Redis appended it (the entry id's milliseconds), not when this reader got to it.
          if (eventId !== undefined) arrived.set(eventId, Number(id.split('-')[0]));
        }
      }
    }
  })();
  try {
    // Batches of 10 every 5 ms: how SDKs send, and what keeps 2,000 events/s to 200 requests/s.
    const perBatch = 10;
    const post = async (batch: readonly { eventId: string }[], record: boolean) => {
      const status = await http.send('POST', '/v1/interactions', JSON.stringify({ batch }));
      const at = performance.timeOrigin + performance.now();
      if (status === 202 && record) for (const event of batch) acked.set(event.eventId, at);
    };
    const withoutStamps = (seed: number, seconds: number) =>
      [...events(FRESHNESS_RATE * seconds, CUSTOMERS, seed, Date.now())].map(
        ({ receivedAt: _receivedAt, source: _source, ...event }) => event,
      );
    const warmUp = withoutStamps(seed, FRESHNESS_WARMUP_SECONDS);
    const interactions = withoutStamps(seed + 1, FRESHNESS_SECONDS);
    const slice = (all: typeof interactions, index: number) =>
      all.slice(index * perBatch, (index + 1) * perBatch);
    await openLoop(FRESHNESS_RATE / perBatch, FRESHNESS_WARMUP_SECONDS, (index) =>
      post(slice(warmUp, index), false),
    );
    const started = performance.now();
    await openLoop(FRESHNESS_RATE / perBatch, FRESHNESS_SECONDS, (index) =>
      post(slice(interactions, index), true),
    );
    const elapsed = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const latencies = [...acked]
      .flatMap(([eventId, ackedAt]) => {
        const at = arrived.get(eventId);
        return at === undefined ? [] : [at - ackedAt];
      })
      .sort((a, b) => a - b);
    return {
      sent: interactions.length,
      rate: rate(interactions.length, elapsed),
      acked: acked.size,
      latencies,
    };
  } finally {
    reading = false;
    await consume;
    reader.disconnect();
    http.close();
    await gateway.stop();
  }
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/**
 * MEMORY USAGE of each kind of key, over a sample of customers, and the length of the two large
 * parts of a customer's data key: the state and the history and timeline (docs/read-side.md §1).
 */
async function memoryPerCustomer(redis: Redis, keys: KeySpace) {
  const sample = Array.from(
    { length: 2_000 },
    (_, index) => `customer-${Math.floor((index * CUSTOMERS) / 2_000)}`,
  );
  const usage = async (key: string) =>
    Number((await redis.memory('USAGE', key, 'SAMPLES', '0')) ?? 0);
  const sums = { record: 0, data: 0, state: 0, logs: 0 };
  for (const id of sample) {
    const { record, data } = keys.customer('0', id);
    sums.record += await usage(record);
    sums.data += await usage(data);
    const { state, logs } = dataOf((await redis.getBuffer(data)) ?? Buffer.from([0]));
    sums.state += state.length;
    sums.logs += logs.length;
  }
  const index = keys.index('0', ONE_SHARD);
  const indexBytes =
    (await usage(index.schedule)) + (await usage(index.atRisk)) + (await usage(index.dormant));
  return {
    record: sums.record / sample.length,
    data: sums.data / sample.length,
    state: sums.state / sample.length,
    logs: sums.logs / sample.length,
    index: indexBytes / CUSTOMERS,
    changes: (await usage(keys.changes(ONE_SHARD))) / CUSTOMERS,
  };
}

/** The target's share of `redis-benchmark`'s rate (issue 26, item 3). */
const TARGET_RATIO = 0.8;

/**
 * Where the projector's rate is bounded: the servers' CPU per customer write (Redis's under the
 * projector and under `redis-benchmark`, the broker's serving the fetches) beside the projector's;
 * the rate this machine's cores make, all busy at those costs; Redis's own ceiling under the
 * projector's load (its one thread busy, whatever the cores); and the projector's CPU per write
 * that TARGET_RATIO of the baseline would leave it on this machine. Not printed against servers
 * given by URL, whose CPU is not read.
 */
function printBound(
  projected: Awaited<ReturnType<typeof projectBacklog>>,
  baselineRate: number,
  redisBenchmarkPerWrite: number,
): void {
  const perWrite = (seconds: number) => (seconds * 1e6) / projected.steadyWrites;
  const redisPerWrite = perWrite(projected.servers.redis);
  const kafkaPerWrite = perWrite(projected.servers.kafka);
  if (!Number.isFinite(redisPerWrite) || !Number.isFinite(kafkaPerWrite)) return;
  const projectorPerWrite = perWrite(projected.cpuSeconds);
  const eventsPerWrite = projected.steadyEvents / projected.steadyWrites;
  const cores = availableParallelism();
  const machineRate = (cores * 1e6) / (projectorPerWrite + redisPerWrite + kafkaPerWrite);
  const redisCeiling = 1e6 / redisPerWrite;
  const room = (cores * 1e6) / (TARGET_RATIO * baselineRate) - redisPerWrite - kafkaPerWrite;
  const ratio = (rate: number) => (rate / baselineRate).toFixed(2);
  console.log(
    `  CPU per customer write: projector ${projectorPerWrite.toFixed(0)} µs, Redis ${redisPerWrite.toFixed(0)} µs ` +
      `(${(redisBenchmarkPerWrite * 1e6).toFixed(0)} µs under redis-benchmark), Kafka ${kafkaPerWrite.toFixed(0)} µs`,
  );
  console.log(
    `  ${cores} cores all busy at these costs make ${Math.round(machineRate)} writes/s (ratio ${ratio(machineRate)}); ` +
      `Redis's one thread at its cost under the projector, ${Math.round(redisCeiling)} (ratio ${ratio(redisCeiling)}, whatever the cores)`,
  );
  console.log(
    `  ${TARGET_RATIO} of redis-benchmark (${Math.round(TARGET_RATIO * baselineRate)} writes/s) on ${cores} cores leaves the projector ` +
      `${room.toFixed(0)} µs of CPU per write (${(room / eventsPerWrite).toFixed(0)} µs per event); it used ${projectorPerWrite.toFixed(0)} ` +
      `(${(projectorPerWrite / eventsPerWrite).toFixed(0)})`,
  );
}

const { config: infraConfig, stop } = await benchInfrastructure();
const config = loadConfig({
  ...process.env,
  RAPPORT_KAFKA_BROKERS: infraConfig.kafka.brokers.join(','),
  RAPPORT_REDIS_URL: infraConfig.redis.url,
  RAPPORT_REDIS_KEY_PREFIX: names.prefix,
  RAPPORT_LOG_LEVEL: 'warn',
});
const redis = new Redis(config.redis.url);
const store = new ReadModel(redis, createModel(), readModelOptions(config));
const servers = await serverPids(infraConfig.infra.runDir);
const redisCpu = () => cpuOf(servers.get('redis') ?? []);
const serversCpu = async (): Promise<ServersCpu> => ({
  redis: await redisCpu(),
  kafka: await cpuOf(servers.get('kafka') ?? []),
});
let projector: ServiceProcess | undefined;
try {
  console.log(
    `projection benchmark: ${EVENTS.toLocaleString('en-US')} events over ${CUSTOMERS.toLocaleString('en-US')} customers, 12 partitions, RAPPORT_PROJECTOR_PROCESSES=${PROCESSES}`,
  );
  const memoryBefore = await usedMemory(redis);
  const produceMs = await produce(config);
  console.log(
    `  backlog written in ${(produceMs / 1000).toFixed(1)} s (${rate(EVENTS, produceMs)} events/s)`,
  );
  const projectorStarted = performance.now();
  projector = await startProjector(config);
  const projected = await projectBacklog(store, projector, projectorStarted, serversCpu);
  const memoryAfter = await usedMemory(redis);
  const perCustomer = await memoryPerCustomer(redis, store.keys);
  // As many bytes as a real record: what Redis does with a value does not depend on its bytes,
  // and a command line cannot carry the record's own (they include NULs).
  const sampleBytes = await redis.getBuffer(store.keys.customer('0', 'customer-1').data);
  const sampleData = 'x'.repeat(sampleBytes ? dataOf(sampleBytes).state.length : 256);
  const baseline = await redisBenchmark(config, redis, projected.writes, sampleData, redisCpu);
  // Customers per second Redis alone gets through, both scripts' work for each.
  const baselineRate = 1 / (1 / baseline.commit + 1 / baseline.index);
  if (projected.steadyEvents === 0) {
    throw new Error(
      `the projector finished all ${EVENTS} events before its first progress reading; ` +
        'raise BENCH_EVENTS for a steady rate',
    );
  }
  const projectorWriteRate = rate(projected.steadyWrites, projected.steadyMs);
  printTable(
    `projection (customer writes/s: the guarded write of a customer's events in a batch, and its index update, ${INDEX_CHUNK} customers to an index call)`,
    [
      ['run', 'events/s', 'writes/s', 'ratio'],
      [
        `projector, from its first batch (${(projected.steadyMs / 1000).toFixed(1)} s)`,
        rate(projected.steadyEvents, projected.steadyMs),
        projectorWriteRate,
        (projectorWriteRate / baselineRate).toFixed(2),
      ],
      [
        `projector, from process start (${(projected.totalMs / 1000).toFixed(1)} s)`,
        rate(EVENTS, projected.totalMs),
        rate(projected.writes, projected.totalMs),
        '',
      ],
      [
        `redis-benchmark, the same ${projected.writes.toLocaleString('en-US')} writes' scripts, -P 16`,
        '',
        Math.round(baselineRate),
        '1.00',
      ],
      [
        '  of which the guarded write / the index update',
        '',
        `${Math.round(baseline.commit)} / ${Math.round(baseline.index)}`,
        '',
      ],
    ],
  );
  console.log(
    `  projector CPU: ${projected.cpuSeconds.toFixed(1)} s, ${((projected.cpuSeconds * 1e6) / projected.steadyEvents).toFixed(0)} µs per event (${rate(projected.steadyEvents, projected.cpuSeconds * 1000)} events per CPU-second, from its first batch)`,
  );
  console.log(
    `  ${projected.writes.toLocaleString('en-US')} customer writes for ${EVENTS.toLocaleString('en-US')} events (${(EVENTS / projected.writes).toFixed(2)} events per write)`,
  );
  printBound(projected, baselineRate, baseline.redisCpuSeconds / projected.writes);

  const totalPerCustomer = (memoryAfter - memoryBefore) / CUSTOMERS;
  printTable('Redis memory per customer (bytes; MEMORY USAGE over 2,000 customers)', [
    ['part', 'bytes'],
    ['customer hash (revision, positions)', Math.round(perCustomer.record)],
    ['customer data key (state, history, timeline)', Math.round(perCustomer.data)],
    ['  its state, length', Math.round(perCustomer.state)],
    ['  its history (50 points) and timeline (20 events), length', Math.round(perCustomer.logs)],
    ['its share of the indexes (schedule, at_risk, dormant)', Math.round(perCustomer.index)],
    ['its share of the change stream', Math.round(perCustomer.changes)],
    [
      '  = everything',
      Math.round(perCustomer.record + perCustomer.data + perCustomer.index + perCustomer.changes),
    ],
    [
      'used_memory growth / customers (everything, incl. change stream)',
      Math.round(totalPerCustomer),
    ],
  ]);

  const freshRows: (string | number)[][] = [];
  for (const [pass, gateway] of FRESHNESS_GATEWAYS.entries()) {
    const fresh = await freshness(config, store.keys, gateway.processes, 2 + 2 * pass);
    freshRows.push([
      gateway.label,
      fresh.sent,
      fresh.rate,
      fresh.acked,
      ...latencyRow('matched', fresh.latencies).slice(1),
    ]);
  }
  printTable(
    `freshness: gateway acknowledgement → change on the stream, ${FRESHNESS_RATE} events/s in batches of 10 for ${FRESHNESS_SECONDS} s after ${FRESHNESS_WARMUP_SECONDS} s of warm-up`,
    [['gateway', 'sent', 'rate', 'acked', 'matched', 'p50 ms', 'p99 ms', 'max ms'], ...freshRows],
  );
} finally {
  await projector?.stop();
  await deleteKeys(redis, names.prefix);
  redis.disconnect();
  await stop();
}
