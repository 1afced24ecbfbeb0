/**
 * `pnpm bench:worker`: what a new customer workflow costs the Temporal worker, beside the SDK's
 * own floor measured the same way in the same run.
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
 * yet collected counts too).
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
import { benchInfrastructure, printTable, rate } from './infra.js';
import { emailExchange } from './interaction-mix.js';
import { sleep } from '../harness/processes.js';

const WORKFLOWS = Number(process.env['BENCH_WORKFLOWS'] ?? 600);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const WARM_UP = 50;
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

/** Three events of a new customer, as the bridge delivers them. */
function deliveries(customerId: string): Delivery[] {
  return [0, 1, 2].map((index) => ({
    partition: 0,
    offset: String(index),
    event: emailExchange(`${customerId}-${index}`, customerId, index % 2 === 1),
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
  await start(WARM_UP, `${taskQueue}-warm`);
  await settled(WARM_UP);
  const rssBefore = process.memoryUsage().rss;
  const cpu = process.cpuUsage();
  const began = performance.now();
  await start(WORKFLOWS, taskQueue);
  await settled(WARM_UP + WORKFLOWS);
  const ms = performance.now() - began;
  const used = process.cpuUsage(cpu);
  const cachedKb = (process.memoryUsage().rss - rssBefore) / 1_000 / WORKFLOWS;
  worker.shutdown();
  await running;
  return {
    perSecond: rate(WORKFLOWS, ms),
    cpuMs: (used.user + used.system) / 1_000 / WORKFLOWS,
    cachedKb,
  };
}

interface Measured {
  readonly perSecond: number;
  readonly cpuMs: number;
  readonly cachedKb: number;
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
          Math.round(result.cachedKb),
        ]);
      }
    }
    printTable(`${WORKFLOWS} new workflows after ${WARM_UP}, one worker`, [
      ['run', 'workflows', 'settled/s', 'CPU ms each', 'RSS KB each, cached'],
      ...rows,
    ]);
  }
} finally {
  await stop();
}
