/**
 * `pnpm bench:worker`: what a new customer workflow, and a signal to a cached one, cost the
 * Temporal worker and the server, beside the SDK's own floor measured the same way in the same
 * run.
 *
 * - rapport: the worker's bundle (`buildWorkflowBundle`); each new customer gets one
 *   `signalWithStart` of three events, as the bridge sends them.
 * - floor: a workflow of the same name that takes the same signal and does nothing with it, in a
 *   bundle of its own: what any workflow costs this SDK on this machine.
 *
 * For each, one worker in a process of its own takes WARM_UP workflows, then WORKFLOWS new ones:
 * the rate at which it settles them (every one in its cache, no activation in flight), the
 * process's CPU per workflow (the signals sent from it are a small part of it) and what its
 * resident memory grew by after the warm-up, per workflow cached (an upper bound: garbage not
 * yet collected counts too). Then SIGNAL_ROUNDS signals of one event to each of them, as a known
 * customer's event reaches its workflow: the rate and the CPU per signal. Beside the process's
 * CPU, the Temporal server's, from /proc (when the bench's runner started it).
 * Private servers, as every bench starts them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import {
  createActivities,
  EngagementSettingsSchema,
  signalCustomer,
  type Delivery,
} from '@rapport/workflows';
import { buildWorkflowBundle } from '@rapport/worker';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { cpuOf, serverPids } from './cpu.js';
import { benchInfrastructure, printTable, rate } from './infra.js';
import { emailExchange } from './interaction-mix.js';
import { sleep } from '../harness/processes.js';

const WORKFLOWS = Number(process.env['BENCH_WORKFLOWS'] ?? 600);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const WARM_UP = 50;
/** Signals of one event sent to each cached workflow after they are all started. */
const SIGNAL_ROUNDS = 2;
const CONCURRENCY = 32;
const FLOOR_PATH = fileURLToPath(new URL('./workflows/floor.ts', import.meta.url));
const VARIANTS = { floor: FLOOR_PATH, rapport: undefined } as const;
type Variant = keyof typeof VARIANTS;
/** Set in the process that measures one variant; unset in the one that runs them all. */
const ONE = process.env['BENCH_WORKER_VARIANT'] as Variant | undefined;

const { config, stop } = await benchInfrastructure();

/** What the measuring process needs: a producer for the activities, a worker's and a client's connections. */
async function connectMeasuring() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const kafka = createKafka(config.kafka, { logLevel: 'warn' });
  await provisionTopics(kafka, config.kafka);
  const producer = createInteractionProducer(kafka, config.kafka);
  await producer.connect();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const client = new Client({
    connection: await Connection.connect({ address: config.temporal.address }),
    namespace: config.temporal.namespace,
  });
  const activities = createActivities({
    producer,
    publishTimeoutMs: config.gateway.publishTimeoutMs,
    settings: EngagementSettingsSchema.parse({
      sla: { defaultMs: 4 * 3_600_000 },
      relativeDrop: { share: 0.1, windowMs: 30 * 86_400_000 },
      onboardingSilenceMs: 7 * 86_400_000,
      trustBreachBelow: 0.5,
      followUpCooldownMs: 14 * 86_400_000,
    }),
    webhook: config.worker.webhook,
    destinations: config.worker.destinations,
    steps: new Map(),
  });
  return {
    connection,
    client,
    activities,
    close: async () => {
      await producer.disconnect();
      await connection.close();
    },
  };
}
type Measuring = Awaited<ReturnType<typeof connectMeasuring>>;

/** `count` events of a customer from offset `from`, as the bridge delivers them. */
function deliveries(customerId: string, from = 0, count = 3): Delivery[] {
  return Array.from({ length: count }, (_, index) => ({
    partition: 0,
    offset: String(from + index),
    event: emailExchange(`${customerId}-${from + index}`, customerId, (from + index) % 2 === 1),
  }));
}

/** One worker with `bundle` takes WARM_UP, then WORKFLOWS new customers. */
async function measure(
  { connection, client, activities }: Measuring,
  workflowsPath: string | undefined,
): Promise<Measured> {
  const taskQueue = `bench-worker-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowBundle: await buildWorkflowBundle(workflowsPath),
    activities,
    maxCachedWorkflows: WARM_UP + WORKFLOWS,
  });
  const running = worker.run();
  const start = async (count: number, prefix: string) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const customerId = `${prefix}-${next}`;
          next += 1;
          await signalCustomer(client, taskQueue, customerId, deliveries(customerId));
        }
      }),
    );
  };
  const settled = async (cached: number) => {
    for (;;) {
      const status = worker.getStatus();
      if (status.numCachedWorkflows >= cached && status.numInFlightWorkflowActivations === 0) {
        return;
      }
      await sleep(20);
    }
  };
  /** One event to each of the cached customers in turn, `rounds` times: their next offsets. */
  const signalCached = async (rounds: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < rounds * WORKFLOWS) {
          const round = Math.floor(next / WORKFLOWS);
          const customerId = `${taskQueue}-${next % WORKFLOWS}`;
          next += 1;
          await signalCustomer(client, taskQueue, customerId, deliveries(customerId, 3 + round, 1));
        }
      }),
    );
  };
  const temporal = (await serverPids(config.infra.runDir)).get('temporal') ?? [];
  /** Runs `work`, then waits for the worker to settle: its rate, its and the server's CPU per item. */
  const timed = async (items: number, work: () => Promise<void>, done: () => Promise<void>) => {
    const serverBefore = await cpuOf(temporal);
    const cpu = process.cpuUsage();
    const began = performance.now();
    await work();
    await done();
    const used = process.cpuUsage(cpu);
    return {
      perSecond: rate(items, performance.now() - began),
      cpuMs: (used.user + used.system) / 1_000 / items,
      serverCpuMs: ((await cpuOf(temporal)) - serverBefore) * (1_000 / items),
    };
  };
  await start(WARM_UP, `${taskQueue}-warm`);
  await settled(WARM_UP);
  const rssBefore = process.memoryUsage().rss;
  const created = await timed(
    WORKFLOWS,
    () => start(WORKFLOWS, taskQueue),
    () => settled(WARM_UP + WORKFLOWS),
  );
  const cachedKb = (process.memoryUsage().rss - rssBefore) / 1_000 / WORKFLOWS;
  const signalled = await timed(
    WORKFLOWS * SIGNAL_ROUNDS,
    () => signalCached(SIGNAL_ROUNDS),
    () => settled(WARM_UP + WORKFLOWS),
  );
  worker.shutdown();
  await running;
  return {
    ...created,
    cachedKb,
    signalsPerSecond: signalled.perSecond,
    signalCpuMs: signalled.cpuMs,
    signalServerCpuMs: signalled.serverCpuMs,
  };
}

interface Measured {
  readonly perSecond: number;
  readonly cpuMs: number;
  /** The Temporal server's CPU per new workflow (NaN for a server no runner started here). */
  readonly serverCpuMs: number;
  readonly cachedKb: number;
  /** Signals of one event to workflows in the cache: what a known customer's event costs. */
  readonly signalsPerSecond: number;
  readonly signalCpuMs: number;
  readonly signalServerCpuMs: number;
}

/** This script again, measuring one variant on the same servers. */
async function measureApart(variant: Variant): Promise<Measured> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...process.execArgv, ...process.argv.slice(1)],
    {
      env: {
        ...process.env,
        BENCH_WORKER_VARIANT: variant,
        RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
        RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
        RAPPORT_REDIS_URL: config.redis.url,
      },
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Measured;
}

try {
  if (ONE !== undefined) {
    const measuring = await connectMeasuring();
    try {
      console.log(JSON.stringify(await measure(measuring, VARIANTS[ONE])));
    } finally {
      await measuring.close();
    }
  } else {
    const rows: (string | number)[][] = [];
    for (let run = 1; run <= RUNS; run += 1) {
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        const result = await measureApart(variant);
        rows.push([
          run,
          variant,
          result.perSecond,
          result.cpuMs.toFixed(1),
          result.serverCpuMs.toFixed(1),
          Math.round(result.cachedKb),
          result.signalsPerSecond,
          result.signalCpuMs.toFixed(1),
          result.signalServerCpuMs.toFixed(1),
        ]);
      }
    }
    printTable(
      `${WORKFLOWS} new workflows after ${WARM_UP}, then ${SIGNAL_ROUNDS} signals of one event to each, one worker`,
      [
        [
          'run',
          'workflows',
          'new: settled/s',
          'CPU ms each',
          'server CPU ms each',
          'RSS KB each, cached',
          'signals to cached: /s',
          'CPU ms each',
          'server CPU ms each',
        ],
        ...rows,
      ],
    );
  }
} finally {
  await stop();
}
