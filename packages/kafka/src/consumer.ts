import type { Consumer } from 'kafkajs';
import type { z } from 'zod';
import {
  BATCH_RETRY,
  processBatch,
  type BatchRetry,
  type ConsumedBatch,
  type DeadLetterTarget,
} from './batch.js';
import { internalsOf, type RapportKafka } from './client.js';
import { CommitCoalescer } from './commits.js';
import { sharedProbe } from './shared-probe.js';
import { describeError, KafkaUnavailableError } from './errors.js';
import type { KafkaLogger } from './logger.js';
import { Stalls, type PartitionWait } from './stalls.js';

export interface BatchConsumerOptions<T> {
  readonly groupId: string;
  readonly topic: string;
  /** Every record value is parsed with it; a record that does not parse is poison. */
  readonly schema: z.ZodType<T>;
  readonly handleBatch: (batch: ConsumedBatch<T>) => Promise<void>;
  /** Where poison goes. Without it a poison record stalls its partition: nothing is dropped. */
  readonly dlq?: DeadLetterTarget;
  /**
   * Resolves when what the handler needs answers (the checks of the service's readiness: Redis,
   * Temporal); rejects, or takes over 5 s, when it does not. It tells an outage, which a failing
   * batch waits out, from records no retry can handle, which are dead-lettered after
   * RAPPORT_POISON_ATTEMPTS (see processBatch). Without it a failing batch is retried forever.
   */
  readonly probe?: () => Promise<unknown>;
  /** Group events and batch failures; defaults to the logger given to createKafka. */
  readonly logger?: KafkaLogger;
  /** Where a group with no committed offset starts (default true: nothing is skipped). */
  readonly fromBeginning?: boolean;
  readonly partitionsConsumedConcurrently?: number;
  /**
   * How long the broker may hold a fetch to fill it with `minBytes` (default: it answers as soon
   * as it has a record). A consumer whose cost is per batch rather than per record gets fuller
   * batches at low rates, for at most `maxWaitMs` more latency; at high rates the bytes arrive
   * first and nothing waits.
   */
  readonly linger?: { readonly minBytes: number; readonly maxWaitMs: number };
  /** The failing batch's back-off; BATCH_RETRY unless a test needs it shorter. */
  readonly retry?: BatchRetry;
}

export interface RunningConsumer {
  readonly groupId: string;
  /** Finishes the in-flight batch, commits what it resolved, leaves the group and disconnects. */
  stop(): Promise<void>;
  /** Partitions with records in hand, longest waiting first (for metrics). */
  waiting(): readonly PartitionWait[];
  /**
   * A readiness check: rejects, naming them, while records have waited on any partition for
   * longer than RAPPORT_STALL_AFTER without it advancing.
   */
  ready(): Promise<void>;
}

/**
 * kafkajs's own retry policy, for what fails inside kafkajs (a fetch, a lost coordinator): it
 * retries forever, backing off to 10 s. Finite retries would end in a crash, and kafkajs's crash
 * leaves and rejoins the group, rebalancing every member each time round during an outage. The
 * cap stays within a third of the session timeout, since kafkajs sends no heartbeat while it
 * waits. A failing batch does not come here: processBatch retries it in place (BATCH_RETRY).
 */
const kafkajsRetry = (sessionTimeoutMs: number) =>
  ({
    initialRetryTime: 300,
    maxRetryTime: Math.min(10_000, Math.floor(sessionTimeoutMs / 3)),
    factor: 0.2,
    multiplier: 2,
    retries: Number.MAX_SAFE_INTEGER,
    // kafkajs would otherwise not restart after some crashes (a coordinator lost for longer than
    // the retries), leaving a dead consumer in a live process: loud restarts are better.
    restartOnFailure: () => Promise.resolve(true),
  }) as const;

/**
 * Runs a consumer-group member over one topic with kafkajs's `eachBatch`, resolving offsets
 * only for the finished run from each batch's start and committing after every batch (batches
 * that finish together share one commit, see CommitCoalescer).
 * Delivery is at least once: after a failure, a rebalance or a crash, records past the last
 * commit come again, so handlers are idempotent (consumers de-duplicate by eventId).
 */
export async function runBatchConsumer<T>(
  kafka: RapportKafka,
  options: BatchConsumerOptions<T>,
): Promise<RunningConsumer> {
  const internals = internalsOf(kafka);
  const logger = options.logger ?? internals.logger;
  const { groupId, topic } = options;
  const { sessionTimeoutMs, heartbeatIntervalMs, poisonAttempts, stallAfterMs } = internals;
  const consumer = internals.client.consumer({
    groupId,
    retry: kafkajsRetry(sessionTimeoutMs),
    sessionTimeout: sessionTimeoutMs,
    // At most a third of the session (the configuration checks it); kafkajs sends a heartbeat
    // only when one is due, however often heartbeat() is called.
    heartbeatInterval: heartbeatIntervalMs,
    allowAutoTopicCreation: false,
    // A stop waits for the fetch in flight, an empty long poll when idle: 1 s, not kafkajs's 5.
    maxWaitTimeInMs: options.linger?.maxWaitMs ?? 1_000,
    ...(options.linger && { minBytes: options.linger.minBytes }),
  });
  logGroupEvents(consumer, logger, topic);
  const commits = new CommitCoalescer();
  // Partitions failing together ask once.
  const probe = options.probe && sharedProbe(options.probe);
  const stalls = new Stalls(stallAfterMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // processBatch commits, through `commits`.
      autoCommit: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) =>
        processBatch(payload, {
          groupId,
          schema: options.schema,
          handleBatch: options.handleBatch,
          dlq: options.dlq,
          probe,
          attempts: poisonAttempts,
          retry: options.retry ?? BATCH_RETRY,
          logger,
          commits,
          stalls,
        }),
    });
  } catch (error) {
    await consumer.disconnect();
    throw new KafkaUnavailableError(
      `consumer group ${groupId} could not start on ${topic}: ${describeError(error)}`,
      { cause: error },
    );
  }
  let stopping: Promise<void> | undefined;
  return {
    groupId,
    stop: () => (stopping ??= stopConsumer(consumer, logger, groupId)),
    waiting: () => stalls.waiting(),
    ready: () => stalls.check(),
  };
}

async function stopConsumer(consumer: Consumer, logger: KafkaLogger, groupId: string) {
  await consumer.disconnect();
  logger.info({ event: 'STOPPED', groupId }, `consumer group ${groupId}: stopped`);
}

function logGroupEvents(consumer: Consumer, logger: KafkaLogger, topic: string): void {
  const { GROUP_JOIN, REBALANCING, CRASH } = consumer.events;
  consumer.on(GROUP_JOIN, ({ payload }) => {
    const partitions = payload.memberAssignment[topic] ?? [];
    logger.info(
      { event: 'GROUP_JOIN', groupId: payload.groupId, memberId: payload.memberId, partitions },
      `consumer group ${payload.groupId}: joined with ${topic} partitions [${partitions.join(',')}]`,
    );
  });
  consumer.on(REBALANCING, ({ payload }) => {
    logger.info(
      { event: 'REBALANCING', groupId: payload.groupId, memberId: payload.memberId },
      `consumer group ${payload.groupId}: rebalancing`,
    );
  });
  consumer.on(CRASH, ({ payload }) => {
    logger.error(
      { event: 'CRASH', groupId: payload.groupId, restart: payload.restart, err: payload.error },
      `consumer group ${payload.groupId}: crashed (${describeError(payload.error)}); ` +
        (payload.restart ? 'restarting' : 'not restarting'),
    );
  });
}
