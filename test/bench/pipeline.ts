/**
 * `pnpm bench:pipeline`: the whole pipeline under a rising open-loop load, against its service-level
 * objectives. Every service runs as `rapport up` starts it (gateway and projector pools, API,
 * worker, bridge: `startPipeline`), on the benchmark's own servers. A known population
 * (BENCH_CUSTOMERS, Zipf-distributed traffic) is in place first: its history written to the log
 * and taken by the projector, the bridge and the worker. Then vegeta, in its own process, posts realistic
 * events (batches of 10, as SDKs send) at each rate of BENCH_STEPS for BENCH_STEP_SECONDS, most to
 * known customers and a share (BENCH_NEW_SHARE) to new ones, after a warm-up at the first rate.
 *
 * Per step: acknowledgement latency (vegeta's), freshness (a few tagged customers' events, part of
 * the step's rate, from the gateway's 202 to their change on the API's live stream:
 * `FreshnessProbe`), the bridge's lag (its own gauge and its consumer group's lag on the log), its
 * signals/s and events per signal, the follow-up start delay of customers arranged to cross
 * during the step (`CrossingSchedule`), and the CPU of every service and server. Stepping stops
 * once a step is clearly broken. Then the highest rate at which every objective held, what broke
 * first above it, and beside it the raw kafkajs producer's rate on the same broker (bench:ingest's
 * baseline).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig } from '@rapport/config';
import { fetchVegeta } from '@rapport/infra';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';
import { sleep } from '../harness/processes.js';
import { bridgeCounters } from './bridge-counters.js';
import { GroupLagWatch } from './consumer-lag.js';
import { cpuBetween, cpuByGroup, machineCpu, serverPids } from './cpu.js';
import { CrossingSchedule, followUpDelays } from './crossings.js';
import { FreshnessProbe, type Freshness } from './freshness-probe.js';
import { gatewayCounters, slowBetween } from './gateway-counters.js';
import { benchInfrastructure, deleteKeys, percentile, rawProducer } from './infra.js';
import { startPipeline, stopPipeline, type PipelineServices } from './pipeline-services.js';
import { printStep, printSummary, type StepResult } from './pipeline-report.js';
import { ZIPF_EXPONENT } from './population.js';
import { PipelineTraffic } from './pipeline-traffic.js';
import { rawProducerRate } from './raw-rate.js';
import { ADMIN_KEY, type ServiceProcess } from './service.js';
import { ACK_P99_LIMIT_MS, clearlyBroken } from './slo.js';
import { postLoad, type PostLoad } from './vegeta.js';
import { workflowBacklog, type WorkflowBacklog } from './workflow-backlog.js';

const numberList = (value: string) => value.split(',').map(Number);
const STEPS = numberList(process.env['BENCH_STEPS'] ?? '1000,2000,5000,10000,20000,40000');
const STEP_SECONDS = Number(process.env['BENCH_STEP_SECONDS'] ?? 30);
/** At the first step's rate, not measured: JIT (the broker's too), connections, heaps. */
const WARM_UP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 90);
const KNOWN_CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? 10_000);
const HISTORY_PER_CUSTOMER = Number(process.env['BENCH_HISTORY_EVENTS'] ?? 3);
const NEW_SHARE = Number(process.env['BENCH_NEW_SHARE'] ?? 0.02);
/**
 * The longest a step waits for the projector and the bridge to catch up, then the worker, before
 * the next one.
 */
const DRAIN_SECONDS = Number(process.env['BENCH_DRAIN_SECONDS'] ?? 60);
/** The longest the worker may take over the history's workflow tasks before the warm-up. */
const SETTLE_SECONDS = Number(process.env['BENCH_SETTLE_SECONDS'] ?? 300);
const RAW_EVENTS = Number(process.env['BENCH_RAW_EVENTS'] ?? 200_000);
/** Events per request, as SDKs batch them. */
const BATCH = 10;
/**
 * The freshness probe's events/s, spread over its tagged customers (each with its own stream):
 * part of each step's rate, a fifth of it up to this; vegeta sends the rest.
 */
const PROBE_RATE = 40;
const PROBE_SHARE = 0.2;
const PROBE_CUSTOMERS = 16;
/** How long after a step an event may still reach the stream and count (else: never). */
const FRESHNESS_GRACE_MS = 10_000;
const CROSSINGS_PER_STEP = 5;
/**
 * From a crossing customer's activation to its predicted drop. The activation is dated in the
 * past, a late arrival, whose decisions the workflow holds for the allowed lateness (60 s) after
 * it takes it: it must reach the workflow more than that before the drop, through the bridge and
 * the worker's queue, which take tens of seconds under load (a lead of 80 s was too short).
 */
const CROSSING_LEAD_MS = Number(process.env['BENCH_CROSSING_LEAD_SECONDS'] ?? 150) * 1000;
/** How long after its instant a follow-up may still start and count (else: never). */
const FOLLOW_UP_GRACE_MS = 30_000;
const WRITE_KEY = 'bench-write-key';
const READ_KEY = 'bench-read-key';
const runId = randomUUID().slice(0, 8);

const infra = await benchInfrastructure();
// The benchmark's own names and ports, so that it can run beside `rapport up` and other benches.
const benchEnv: Record<string, string> = {
  RAPPORT_KAFKA_BROKERS: infra.config.kafka.brokers.join(','),
  RAPPORT_TEMPORAL_ADDRESS: infra.config.temporal.address,
  RAPPORT_REDIS_URL: infra.config.redis.url,
  RAPPORT_TOPIC_INTERACTIONS: `bench.${runId}.pipeline`,
  RAPPORT_TOPIC_DLQ: `bench.${runId}.pipeline.dlq`,
  RAPPORT_REDIS_KEY_PREFIX: `bench:${runId}:`,
  RAPPORT_TEMPORAL_TASK_QUEUE: `bench-${runId}`,
  RAPPORT_BRIDGE_GROUP_ID: `bench-${runId}-bridge`,
  RAPPORT_PROJECTOR_GROUP_ID: `bench-${runId}-projector`,
  RAPPORT_WRITE_KEYS: WRITE_KEY,
  RAPPORT_READ_KEYS: READ_KEY,
  RAPPORT_ADMIN_KEYS: ADMIN_KEY,
  // One write key sends everything here; its default budget (5,000 events/s) would be the limit.
  RAPPORT_RATE_LIMIT_PER_SECOND: '10000000',
  RAPPORT_GATEWAY_PORT: '18580',
  RAPPORT_API_PORT: '18581',
  RAPPORT_PROJECTOR_PORT: '18582',
  RAPPORT_BRIDGE_PORT: '18583',
  RAPPORT_WORKER_PORT: '18584',
  RAPPORT_LOG_LEVEL: 'warn',
};
const env = { ...process.env, ...benchEnv };
const config = loadConfig(env);
const topic = config.kafka.topics.interactions;
const kafka = createKafka(config.kafka);
// A plain kafkajs admin (the package keeps its own behind its handle) for the groups' offsets.
const admin = new Kafka({
  clientId: 'bench-pipeline',
  brokers: config.kafka.brokers,
  logLevel: logLevel.WARN,
}).admin();
const redis = new Redis(config.redis.url);
const connection = await Connection.connect({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
const traffic = new PipelineTraffic({
  runId,
  known: KNOWN_CUSTOMERS,
  exponent: ZIPF_EXPONENT,
  newShare: NEW_SHARE,
});

/**
 * Waits until the projector and the bridge are both within `slack` records of the log's end, or
 * `seconds` have passed; the seconds it took.
 */
async function drain(lag: GroupLagWatch, seconds: number, slack: number): Promise<number> {
  const started = performance.now();
  for (const deadline = started + seconds * 1000; performance.now() < deadline; await sleep(500)) {
    const [projector, bridge] = await Promise.all([
      lag.records(config.projector.groupId),
      lag.records(config.bridge.groupId),
    ]);
    if (projector <= slack && bridge <= slack) break;
  }
  return (performance.now() - started) / 1000;
}

/** Waits until the worker has taken every workflow task (to `slack`) or `seconds` have passed. */
async function settle(seconds: number, slack: number): Promise<WorkflowBacklog> {
  const deadline = performance.now() + seconds * 1000;
  for (;;) {
    const backlog = await workflowBacklog(client, config.temporal.taskQueue);
    if (backlog.count <= slack || performance.now() > deadline) return backlog;
    await sleep(1_000);
  }
}

const LOAD_GENERATOR = 'vegeta + bench';

/** CPU, the bridge's counters and the clocks at one instant. */
async function snapshot(services: PipelineServices, servers: Map<string, number[]>) {
  const groups = new Map<string, number[]>([
    ...[...services].map(([name, service]): [string, number[]] => [name, [service.child.pid ?? 0]]),
    ...servers,
  ]);
  const bridge = services.get('bridge') as ServiceProcess;
  const gateway = services.get('gateway') as ServiceProcess;
  const [cpu, machine, counters, gatewayAnswers] = await Promise.all([
    cpuByGroup(groups, { name: LOAD_GENERATOR, root: process.pid }),
    machineCpu(),
    bridgeCounters(bridge),
    gatewayCounters(gateway, ACK_P99_LIMIT_MS / 1000),
  ]);
  return { wall: Date.now(), cpu, machine, counters, gatewayAnswers };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/**
 * The bridge's own lag gauge, polled every second until stopped: the largest value of a partition
 * whose batch was done during the watch (how old its newest record was when all its signals were
 * accepted). A partition keeps its last batch's value until its next, so an unchanged value is an
 * older batch's and does not count.
 */
function watchBridgeGauge(services: PipelineServices) {
  const bridge = services.get('bridge') as ServiceProcess;
  let watching = true;
  let largest = 0;
  const polling = (async () => {
    let previous = (await bridgeCounters(bridge)).partitionLags;
    while (watching) {
      await sleep(1_000);
      const { partitionLags } = await bridgeCounters(bridge);
      for (const [partition, seconds] of partitionLags) {
        if (previous.get(partition) !== seconds) largest = Math.max(largest, seconds);
      }
      previous = partitionLags;
    }
  })();
  return async () => {
    watching = false;
    await polling;
    return largest;
  };
}

/** A step's events/s, split between the freshness probe and vegeta. */
function rates(perSecond: number): { probe: number; vegeta: number } {
  const probe = Math.min(PROBE_RATE, perSecond * PROBE_SHARE);
  return { probe, vegeta: perSecond - probe };
}

/**
 * `perSecond` events for `seconds` through the gateway at `gatewayUrl`: vegeta's share, and the
 * probe's, started as vegeta starts (after `sending`). Vegeta's report once it is done; the
 * probe's figures still to come (`graceMs` after the last event).
 */
async function offer(
  gatewayUrl: string,
  probe: FreshnessProbe,
  perSecond: number,
  seconds: number,
  graceMs: number,
  sending?: () => Promise<void>,
): Promise<{ load: PostLoad; fresh: Promise<Freshness> }> {
  const split = rates(perSecond);
  let fresh: Promise<Freshness> | undefined;
  const load = await postLoad({
    vegeta,
    url: `${gatewayUrl}/v1/interactions`,
    headers: { authorization: `Bearer ${WRITE_KEY}` },
    bodies: traffic.bodies(split.vegeta, seconds, BATCH, Date.now()),
    rate: split.vegeta / BATCH,
    seconds,
    slowerThanMs: ACK_P99_LIMIT_MS,
    sending: async () => {
      await sending?.();
      fresh = probe.measure(split.probe, seconds, graceMs);
    },
  });
  if (fresh === undefined) throw new Error('vegeta never started sending');
  return { load, fresh };
}

async function step(
  lag: GroupLagWatch,
  services: PipelineServices,
  servers: Map<string, number[]>,
  probe: FreshnessProbe,
  crossings: CrossingSchedule,
  perSecond: number,
): Promise<StepResult> {
  const gateway = services.get('gateway') as ServiceProcess;
  let before: Snapshot | undefined;
  let backlogBefore: Promise<WorkflowBacklog> | undefined;
  let stopWatching: ReturnType<typeof watchBridgeGauge> | undefined;
  const { load, fresh } = await offer(
    gateway.url,
    probe,
    perSecond,
    STEP_SECONDS,
    FRESHNESS_GRACE_MS,
    async () => {
      before = await snapshot(services, servers);
      backlogBefore = workflowBacklog(client, config.temporal.taskQueue);
      stopWatching = watchBridgeGauge(services);
    },
  );
  const [after, backlogAfter] = await Promise.all([
    snapshot(services, servers),
    workflowBacklog(client, config.temporal.taskQueue),
  ]);
  if (before === undefined || backlogBefore === undefined || stopWatching === undefined) {
    throw new Error('vegeta never started sending');
  }
  const gauge = await stopWatching();
  const freshness = await fresh;
  const followUps = await followUpDelays(
    client,
    crossings.between(before.wall, after.wall),
    FOLLOW_UP_GRACE_MS,
  );
  const lags = {
    gauge,
    log: lag.maxSeconds(config.bridge.groupId, before.wall, after.wall),
    projector: lag.maxSeconds(config.projector.groupId, before.wall, after.wall),
  };
  const seconds = (after.wall - before.wall) / 1000;
  const signals = after.counters.signals - before.counters.signals;
  const cores = cpuBetween(before.cpu, after.cpu, seconds);
  return {
    figures: {
      rate: perSecond,
      // vegeta's and the probe's: what the pipeline was offered.
      sentRate: Math.round(load.sentPerSecond * BATCH + freshness.sent / STEP_SECONDS),
      acceptedShare: (load.statuses['202'] ?? 0) / load.requests,
      ackP99: load.p99,
      freshnessP99: percentile(freshness.latencies, 99),
      bridgeLag: Math.max(lags.gauge, lags.log),
      followUpMax: followUps.started.at(-1) ?? Number.NaN,
    },
    load,
    freshness: {
      p50: percentile(freshness.latencies, 50),
      seen: freshness.seen,
      acked: freshness.acked,
    },
    lag: lags,
    slowAcks: { client: load.slow, ...slowBetween(before.gatewayAnswers, after.gatewayAnswers) },
    signalsPerSecond: signals / seconds,
    eventsPerSignal: (after.counters.events - before.counters.events) / signals,
    followUps: followUps.started,
    timersFired: followUps.fired,
    backlog: { before: await backlogBefore, after: backlogAfter },
    cores,
    machineCores: (after.machine.busy - before.machine.busy) / seconds,
    exited: [...services]
      .filter(([, service]) => service.child.exitCode !== null || service.child.signalCode !== null)
      .map(([name, service]) => `${name} (${service.child.exitCode ?? service.child.signalCode})`),
  };
}

const vegeta = await fetchVegeta(config.infra.cacheDir);
let services: PipelineServices | undefined;
let probe: FreshnessProbe | undefined;
let crossings: CrossingSchedule | undefined;
let lagWatch: GroupLagWatch | undefined;
const results: StepResult[] = [];
try {
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(1))
      .join(' ');
  console.log(
    `pipeline: steps ${STEPS.join(', ')} events/s, ${STEP_SECONDS} s each after ${WARM_UP_SECONDS} s of warm-up; ` +
      `${KNOWN_CUSTOMERS.toLocaleString('en-US')} known customers (Zipf ${ZIPF_EXPONENT}, ${HISTORY_PER_CUSTOMER} events of history each), ` +
      `${NEW_SHARE * 100}% of events from new customers; ${config.kafka.partitions} partitions; ` +
      `${cpus().length} cores, load average ${load()}`,
  );
  await admin.connect();
  await provisionTopics(kafka, config.kafka);
  lagWatch = new GroupLagWatch(admin, topic, [config.projector.groupId, config.bridge.groupId]);
  const producer = createInteractionProducer(kafka, config.kafka);
  await producer.connect();
  let history: StampedInteraction[] = [];
  for (const event of traffic.history(HISTORY_PER_CUSTOMER, Date.now())) {
    history.push(event);
    if (history.length === 1_000) {
      await producer.publish(history, { timeoutMs: 30_000 });
      history = [];
    }
  }
  if (history.length > 0) await producer.publish(history, { timeoutMs: 30_000 });
  await producer.disconnect();

  const logDir = join(infra.config.infra.runDir, `pipeline-${runId}`);
  services = await startPipeline(config, env, logDir);
  console.log(`  services' logs: ${logDir}/`);
  const servers = await serverPids(infra.config.infra.runDir);
  const gatewayUrl = (services.get('gateway') as ServiceProcess).url;
  // From now on, so that the first step has crossings whatever the warm-up's length.
  crossings = new CrossingSchedule({
    config,
    runId,
    gatewayUrl,
    writeKey: WRITE_KEY,
    leadMs: CROSSING_LEAD_MS,
    everyMs: Math.max(1_000, (STEP_SECONDS * 1000) / CROSSINGS_PER_STEP),
  });
  const historyDrained = await drain(lagWatch, 600, 10);
  const settled = await settle(SETTLE_SECONDS, 10);
  console.log(
    `  history of ${(KNOWN_CUSTOMERS * HISTORY_PER_CUSTOMER).toLocaleString('en-US')} events projected and signalled in ${historyDrained.toFixed(0)} s after the services were ready; ` +
      `workflow tasks still waiting ${settled.count} (oldest ${settled.ageSeconds.toFixed(0)} s, ${settled.dispatchedPerSecond.toFixed(1)} dispatched/s)`,
  );

  const gateway = services.get('gateway') as ServiceProcess;
  const api = services.get('api') as ServiceProcess;
  probe = new FreshnessProbe({
    runId,
    customers: PROBE_CUSTOMERS,
    gatewayUrl: gateway.url,
    writeKey: WRITE_KEY,
    apiUrl: api.url,
    readKey: READ_KEY,
  });
  const firstRate = STEPS[0] ?? 1_000;
  // Long enough for the first crossings to fall after it.
  const warmUpSeconds = Math.max(
    WARM_UP_SECONDS,
    Math.ceil(((crossings.crossings[0]?.plannedAt ?? 0) - Date.now()) / 1000),
  );
  await (
    await offer(gateway.url, probe, firstRate, warmUpSeconds, 0)
  ).fresh;
  await drain(lagWatch, DRAIN_SECONDS, firstRate);

  for (const perSecond of STEPS) {
    const result = await step(lagWatch, services, servers, probe, crossings, perSecond);
    results.push(result);
    printStep(result, STEP_SECONDS);
    if (result.exited.length > 0) {
      console.log(`  exited: ${result.exited.join(', ')} (its log says why): no higher step`);
      break;
    }
    if (clearlyBroken(result.figures)) {
      console.log('  clearly broken: no higher step');
      break;
    }
    // The next step starts from the log taken and the worker's queue as short as it gets in time.
    const drained = await drain(lagWatch, DRAIN_SECONDS, perSecond);
    const settledAfter = performance.now();
    await settle(Math.max(0, DRAIN_SECONDS - drained), 10);
    result.drainedSeconds = drained + (performance.now() - settledAfter) / 1000;
  }
  crossings.stop();
  probe.close();
  await stopPipeline(services);
  services = undefined;

  // The baseline, on the same broker with the pipeline stopped: bench:ingest's raw producer.
  const rawTopic = `bench.${runId}.raw`;
  const raw = await rawProducer(config, [rawTopic], config.kafka.partitions);
  const records = [...traffic.bodies(RAW_EVENTS, 1, 1, Date.now())].map((body) => {
    const [event] = (JSON.parse(body) as { batch: { customerId: string }[] }).batch;
    const stamped = { ...event, receivedAt: new Date().toISOString(), source: 'http' };
    return { key: event?.customerId ?? '', value: JSON.stringify(stamped) };
  });
  const rawRate = await rawProducerRate(raw, rawTopic, records, 500, 8);
  await raw.disconnect();

  printSummary(results, STEP_SECONDS, { rate: rawRate, events: RAW_EVENTS });
  console.log(`  load average at the end: ${load()}`);
} finally {
  crossings?.stop();
  probe?.close();
  await lagWatch?.stop();
  if (services !== undefined) await stopPipeline(services);
  await admin.disconnect();
  await connection.close();
  await deleteKeys(redis, `bench:${runId}:`);
  redis.disconnect();
  await infra.stop();
}
