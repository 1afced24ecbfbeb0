import type { Issue } from '@rapport/schema';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { z } from 'zod';
import { internalsOf, type RapportKafka } from './client.js';
import { CommitCoalescer } from './commits.js';
import { ContiguousRun } from './contiguous.js';
import { poisonLetter } from './dead-letter.js';
import { describeError, KafkaError, KafkaUnavailableError } from './errors.js';
import type { KafkaLogger } from './logger.js';
import type { InteractionProducer } from './producer.js';
import {
  parseRecord,
  toConsumedRecord,
  type ConsumedRecord,
  type ParsedRecord,
} from './records.js';

/** One partition's slice of records, handed to the service's handler. */
export interface ConsumedBatch<T> {
  readonly topic: string;
  readonly partition: number;
  /** The records that parsed, in offset order; those that did not are already dead-lettered. */
  readonly records: readonly ParsedRecord<T>[];
  /**
   * Marks one record finished before the whole batch is, in any order: if the handler fails or
   * the group rebalances later in the batch, the finished run from the batch start is kept.
   * Returning normally finishes every record of the batch.
   */
  markDone(record: ParsedRecord<T>): void;
  /** Call inside long loops: a member silent for the session timeout is evicted from the group. */
  heartbeat(): Promise<void>;
}

export interface DeadLetterTarget {
  readonly producer: Pick<InteractionProducer, 'publishDeadLetters'>;
  /** Stamped as the letters' `source`, e.g. `projector`. */
  readonly source: string;
  /** Default 10 s. */
  readonly timeoutMs?: number;
}

export interface BatchConsumerOptions<T> {
  readonly groupId: string;
  readonly topic: string;
  /** Every record value is parsed with it; a record that does not parse is poison. */
  readonly schema: z.ZodType<T>;
  readonly handleBatch: (batch: ConsumedBatch<T>) => Promise<void>;
  /** Where poison goes. Without it a poison record stalls its partition: nothing is dropped. */
  readonly dlq?: DeadLetterTarget;
  /** Group events and batch failures; defaults to the logger given to createKafka. */
  readonly logger?: KafkaLogger;
  /** Where a group with no committed offset starts (default true: nothing is skipped). */
  readonly fromBeginning?: boolean;
  readonly partitionsConsumedConcurrently?: number;
}

export interface RunningConsumer {
  readonly groupId: string;
  /** Finishes the in-flight batch, commits what it resolved, leaves the group and disconnects. */
  stop(): Promise<void>;
}

/**
 * Retry policy of the batch loop. A failing batch (its handler threw, or the dead-letter topic
 * did not acknowledge) is retried in place, forever, backing off to 10 s: the partition waits
 * for the downstream to come back. Finite retries would end in a crash, and kafkajs's crash
 * leaves and rejoins the group, rebalancing every member each time round during an outage. The
 * cap stays within a third of the session timeout, since no heartbeat is sent while waiting.
 */
const batchRetry = (sessionTimeoutMs: number) =>
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

const DEFAULT_DLQ_TIMEOUT_MS = 10_000;

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
  const { sessionTimeoutMs } = internals;
  const consumer = internals.client.consumer({
    groupId,
    retry: batchRetry(sessionTimeoutMs),
    sessionTimeout: sessionTimeoutMs,
    // Three heartbeats a session at least, as Kafka advises; kafkajs's default is every 3 s.
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
    allowAutoTopicCreation: false,
    // A stop waits for the fetch in flight, an empty long poll when idle: 1 s, not kafkajs's 5.
    maxWaitTimeInMs: 1_000,
  });
  logGroupEvents(consumer, logger, topic);
  const commits = new CommitCoalescer();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachBatchAutoResolve: false,
      // processBatch commits, through `commits`.
      autoCommit: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => processBatch(payload, options, logger, commits),
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
  };
}

async function stopConsumer(consumer: Consumer, logger: KafkaLogger, groupId: string) {
  await consumer.disconnect();
  logger.info({ event: 'STOPPED', groupId }, `consumer group ${groupId}: stopped`);
}

async function processBatch<T>(
  payload: EachBatchPayload,
  options: BatchConsumerOptions<T>,
  logger: KafkaLogger,
  commits: CommitCoalescer,
): Promise<void> {
  const { topic, partition } = payload.batch;
  const commitResolved = () => payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
  const records = payload.batch.messages.map((message) =>
    toConsumedRecord(topic, partition, message),
  );
  const run = new ContiguousRun(records.map((record) => record.offset));
  const finish = (offset: string) => {
    const resolved = run.finish(offset);
    if (resolved !== undefined) payload.resolveOffset(resolved);
  };
  try {
    const { parsed, poison } = splitPoison(records, options.schema);
    if (poison.length > 0) {
      await deadLetter(poison, options);
      for (const { record } of poison) finish(record.offset);
    }
    if (parsed.length > 0) {
      await options.handleBatch({
        topic,
        partition,
        records: parsed,
        markDone: (record) => finish(record.offset),
        heartbeat: () => payload.heartbeat(),
      });
    }
    for (const record of parsed) finish(record.offset);
    await commits.commit(commitResolved);
  } catch (error) {
    // kafkajs's own signals (heartbeat() or a commit seeing a rebalance) go back to it untouched:
    // it rejoins the group at once, where a wrapped error would make it back off as for a failure.
    if (isKafkaJSError(error)) throw error;
    // Keep the finished run (markDone) before the rest is retried; the batch's error is the one
    // to report, so a commit that fails too only means those records come again.
    await commits.commit(commitResolved).catch(() => undefined);
    const message =
      `consumer group ${options.groupId}: batch ${topic}/${partition} failed after offset ` +
      `${run.resolved ?? '(none)'}; the rest will be redelivered: ${describeError(error)}`;
    logger.error(
      { event: 'BATCH_FAILED', topic, partition, resolved: run.resolved, err: error },
      message,
    );
    // Retriable whatever the cause, so that kafkajs retries in place instead of crashing (see
    // batchRetry); the cause keeps the handler's own code.
    throw new KafkaError('KAFKA_BATCH_FAILED', message, { retriable: true, cause: error });
  }
}

/** By name: kafkajs does not export its error classes to ESM importers (see errors.ts). */
function isKafkaJSError(error: unknown): boolean {
  return error instanceof Error && error.name.startsWith('KafkaJS');
}

interface Poison {
  readonly record: ConsumedRecord;
  readonly issues: readonly Issue[];
}

function splitPoison<T>(records: readonly ConsumedRecord[], schema: z.ZodType<T>) {
  const parsed: ParsedRecord<T>[] = [];
  const poison: Poison[] = [];
  for (const record of records) {
    const result = parseRecord(schema, record);
    if (result.ok) parsed.push({ ...withoutValue(record), value: result.value });
    else poison.push({ record, issues: result.issues });
  }
  return { parsed, poison };
}

function withoutValue({ value: _value, bytes: _bytes, ...rest }: ConsumedRecord) {
  return rest;
}

async function deadLetter<T>(
  poison: readonly Poison[],
  options: BatchConsumerOptions<T>,
): Promise<void> {
  if (options.dlq === undefined) {
    const where = poison.map(({ record }) => `${record.partition}@${record.offset}`).join(', ');
    throw new KafkaError(
      'KAFKA_POISON_MESSAGE',
      `${options.topic} records ${where} do not parse and this consumer has no dead-letter topic`,
    );
  }
  const origin = {
    source: options.dlq.source,
    groupId: options.groupId,
    receivedAt: new Date().toISOString(),
  };
  await options.dlq.producer.publishDeadLetters(
    poison.map(({ record, issues }) => poisonLetter(record, issues, origin)),
    { timeoutMs: options.dlq.timeoutMs ?? DEFAULT_DLQ_TIMEOUT_MS },
  );
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
