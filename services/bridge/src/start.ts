import { setMaxListeners } from 'node:events';
import type { Config } from '@rapport/config';
import {
  createInteractionProducer,
  createKafka,
  provisionTopics,
  runBatchConsumer,
  sharedProbe,
  type RunningConsumer,
} from '@rapport/kafka';
import { Identities, identitiesOptions } from '@rapport/identity';
import { connectRedis } from '@rapport/read-model';
import { StampedInteractionSchema } from '@rapport/schema';
import {
  startOnce,
  startOpsServer,
  type Logger,
  type OpsServer,
  type RunningService,
  type Startup,
} from '@rapport/lifecycle';
// The client only: the package's index also loads the Temporal worker.
import { connectWithoutRetries, signalCustomer, survivorOf } from '@rapport/workflows/client';
import { temporalConnectionOptions } from '@rapport/workflows/connection';
import { Client, type Connection } from '@temporalio/client';
import { deliverBatch } from './deliver.js';
import { Limiter } from './limiter.js';
import { createMetrics, type Metrics } from './metrics.js';

/** At most this long a fetch waits for this much to gather: see `runBatchConsumer`'s `linger`. */
const BRIDGE_LINGER = { minBytes: 256 * 1024, maxWaitMs: 1_000 } as const;

export interface StartedBridge extends RunningService {
  /** The ops listener: /healthz, /readyz, /metrics. */
  readonly url: string;
  readonly metrics: Metrics;
}

/** How long a stop lets the batches in hand finish before it cuts their calls. */
const STOP_GRACE_MS = 5_000;
const DLQ_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 2_000;

/**
 * Starts the bridge: consumes the interaction log in its own consumer group and delivers each
 * customer's events to their workflow with signalWithStart. Its ops listener answers first; then
 * Kafka, Redis and Temporal must answer (waited for under `runService`: `Startup`), so a
 * misconfigured endpoint shows in `/readyz` now, not at the first event.
 */
export async function startBridge(
  config: Config,
  logger: Logger,
  options: { readonly port?: number; readonly startup?: Startup } = {},
): Promise<StartedBridge> {
  const startup = options.startup ?? startOnce;
  const kafka = createKafka(config.kafka, { logger, logLevel: config.logLevel });
  const producer = createInteractionProducer(kafka, config.kafka);
  const metrics = createMetrics();
  const stopping = new AbortController();
  const calls = new AbortController();
  // Every call in flight listens on `calls` (through `cuttable`), every batch in hand on `stopping`.
  setMaxListeners(config.bridge.signalConcurrency + 16, calls.signal);
  setMaxListeners(config.kafka.partitions + 16, stopping.signal);
  /** Set as soon as it connects, for the cleanup of a start that fails later. */
  let connection: Connection | undefined;
  let temporal: Connection;
  let consumer: RunningConsumer | undefined;
  let ops: OpsServer | undefined;
  // The identity map and the suppression list (packages/identity): merged ids routed to their
  // survivor, erased customers skipped.
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 2 });
  const identities = new Identities(redis, identitiesOptions(config));
  // What every signal needs: the consumer's probe, which tells an outage (waited out) from
  // records that fail for their own reasons (dead-lettered after RAPPORT_POISON_ATTEMPTS).
  // Shared: the customers and partitions failing together during an outage ask once.
  const environment = sharedProbe(() =>
    Promise.all([temporalAnswers(connection, config.temporal.namespace), redis.ping()]),
  );
  metrics.watchPartitions(() => consumer?.waiting() ?? []);
  try {
    ops = await startOpsServer({
      host: config.http.host,
      port: options.port ?? config.bridge.port,
      checks: {
        kafka: () => kafka.ping(),
        redis: () => redis.ping(),
        temporal: () => temporalAnswers(connection, config.temporal.namespace),
        // No partition stalled: records waiting past RAPPORT_STALL_AFTER.
        consumer: () =>
          consumer === undefined
            ? Promise.reject(new Error('not in a consumer group yet'))
            : consumer.ready(),
      },
      startup,
      metrics: () => metrics.registry.metrics(),
    });
    [temporal] = await Promise.all([
      // A failed attempt comes back at once to the bridge's own loop, which backs off, counts
      // retries in /metrics, heartbeats Kafka and stops when told.
      startup.need('temporal', async () => {
        connection = await connectWithoutRetries(temporalConnectionOptions(config.temporal));
        return connection;
      }),
      startup
        .need('kafka', () => provisionTopics(kafka, config.kafka))
        .then(() => startup.need('kafka', () => producer.connect())),
      startup.need('redis', () => redis.ping()),
    ]);
    const client = new Client({ connection: temporal, namespace: config.temporal.namespace });
    const limiter = new Limiter(config.bridge.signalConcurrency);
    consumer = await startup.need('kafka', () =>
      runBatchConsumer(kafka, {
        groupId: config.bridge.groupId,
        topic: config.kafka.topics.interactions,
        schema: StampedInteractionSchema,
        dlq: { producer, source: 'bridge', onLettered: metrics.deadLettered },
        probe: environment,
        logger,
        // Partitions in parallel; the limiter bounds the calls in flight across all of them.
        partitionsConsumedConcurrently: config.kafka.partitions,
        // A signal costs the worker and Temporal far more than an event in it, and a customer's
        // events in one batch share one signal: at low rates the broker holds each fetch a
        // little to fill it, well within the bridge's lag objective (docs/performance.md).
        linger: BRIDGE_LINGER,
        handleBatch: (batch) =>
          deliverBatch(batch, {
            signal: (customerId, deliveries) =>
              cuttable(calls.signal, (signal) =>
                temporal.withAbortSignal(signal, () =>
                  signalCustomer(client, config.temporal.taskQueue, customerId, deliveries),
                ),
              ),
            // A merged customer's workflow completed: its events go to its survivor.
            survivorOf: (customerId) =>
              cuttable(calls.signal, (signal) =>
                temporal.withAbortSignal(signal, () => survivorOf(client, customerId)),
              ),
            route: (customerIds) => identities.route(customerIds),
            deadLetter: (letters) =>
              producer.publishDeadLetters(letters, { timeoutMs: DLQ_TIMEOUT_MS }),
            environment,
            limiter,
            metrics,
            logger,
            groupId: config.bridge.groupId,
            stopping: stopping.signal,
            heartbeatMs: config.kafka.heartbeatIntervalMs,
          }),
      }),
    );
  } catch (error) {
    await ops?.close();
    await consumer?.stop();
    await connection?.close();
    await producer.disconnect();
    redis.disconnect();
    throw error;
  }
  const running = { consumer, ops, connection: temporal };
  return {
    url: ops.url,
    metrics,
    description:
      `delivering ${config.kafka.topics.interactions} (group ${config.bridge.groupId}) to ` +
      `${config.temporal.address} task queue ${config.temporal.taskQueue}; ops on ${ops.url}`,
    async stop() {
      stopping.abort(new Error('the bridge is stopping'));
      const cut = setTimeout(() => calls.abort(new Error('the bridge stopped')), STOP_GRACE_MS);
      try {
        await running.consumer.stop();
      } finally {
        clearTimeout(cut);
        await running.ops.close();
        await producer.disconnect();
        await running.connection.close();
        await redis.quit();
      }
    },
  };
}

/** Temporal answers, and knows the namespace (a server that forgot it refuses every signal). */
async function temporalAnswers(
  connection: Connection | undefined,
  namespace: string,
): Promise<void> {
  if (connection === undefined) throw new Error('not connected');
  await connection.withDeadline(Date.now() + READY_TIMEOUT_MS, async () => {
    await connection.healthService.check({});
    await connection.workflowService.describeNamespace({ namespace });
  });
}

/**
 * Runs one call with a signal of its own that follows `cut`. @temporalio/client adds an abort
 * listener per RPC and never removes it, so one long-lived signal given to every call gathered
 * thousands of listeners (and made every addEventListener slower); a per-call signal is
 * collected with its call, and the one listener on `cut` is removed here.
 */
async function cuttable<T>(
  cut: AbortSignal,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const own = new AbortController();
  const follow = () => own.abort(cut.reason);
  cut.addEventListener('abort', follow, { once: true });
  if (cut.aborted) follow();
  try {
    return await call(own.signal);
  } finally {
    cut.removeEventListener('abort', follow);
  }
}
