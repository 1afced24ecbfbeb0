import { setTimeout as sleep } from 'node:timers/promises';
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
   * Marks one record finished before the whole batch is, in any order: if the handler fails,
   * the retry leaves it out, and the finished run from the batch start is committed, so it is
   * kept across a rebalance or a restart (records finished after a gap come again then).
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
  /** The failing batch's back-off; BATCH_RETRY unless a test needs it shorter. */
  readonly retry?: BatchRetry;
}

export interface RunningConsumer {
  readonly groupId: string;
  /** Finishes the in-flight batch, commits what it resolved, leaves the group and disconnects. */
  stop(): Promise<void>;
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
 * How a failing batch (its handler threw, or the dead-letter topic did not acknowledge) is
 * retried: in place, forever, backing off from 300 ms to 10 s, so the partition waits for the
 * downstream to come back. The member heartbeats while it waits, so it keeps its partitions
 * however long the outage, takes part in a rebalance at once, and stops within `pollMs`.
 * (Thrown back to kafkajs, the batch would wait in kafkajs's retry, which sends no heartbeat:
 * the member was evicted every session timeout of an outage, and a stop waited the back-off out.)
 * kafkajs fetches again from a broker once every batch of its fetch is done, so the other
 * partitions of the fetch wait with the failing one: Rapport's consumers fail for causes their
 * partitions share (Redis, Kafka or Temporal away; the projector projects a fetch as one).
 */
export const BATCH_RETRY = { initialMs: 300, maxMs: 10_000, pollMs: 250 } as const;

export type BatchRetry = Readonly<Record<keyof typeof BATCH_RETRY, number>>;

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
  const { sessionTimeoutMs, heartbeatIntervalMs } = internals;
  const consumer = internals.client.consumer({
    groupId,
    retry: kafkajsRetry(sessionTimeoutMs),
    sessionTimeout: sessionTimeoutMs,
    // At most a third of the session (the configuration checks it); kafkajs sends a heartbeat
    // only when one is due, however often heartbeat() is called.
    heartbeatInterval: heartbeatIntervalMs,
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
      eachBatch: (payload) =>
        processBatch(payload, options, logger, commits, options.retry ?? BATCH_RETRY),
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
  retry: BatchRetry,
): Promise<void> {
  const { topic, partition } = payload.batch;
  const commitResolved = () => payload.commitOffsetsIfNecessary(payload.uncommittedOffsets());
  const records = payload.batch.messages.map((message) =>
    toConsumedRecord(topic, partition, message),
  );
  const run = new ContiguousRun(records.map((record) => record.offset));
  const finished = new Set<string>();
  const finish = (offset: string) => {
    if (finished.has(offset)) return;
    finished.add(offset);
    const resolved = run.finish(offset);
    if (resolved !== undefined) payload.resolveOffset(resolved);
  };
  for (let attempt = 0; ; attempt += 1) {
    try {
      // A retry takes the records not finished yet: what finished (handled, or dead-lettered)
      // is not done twice by this member.
      const pending = records.filter((record) => !finished.has(record.offset));
      const { parsed, poison } = splitPoison(pending, options.schema);
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
      return;
    } catch (error) {
      // kafkajs's own signals (heartbeat() or a commit seeing a rebalance) go back to it untouched:
      // it rejoins the group at once; the partition may go to another member, which gets what
      // was not committed.
      if (isKafkaJSError(error)) throw error;
      // Keep the finished run (markDone) before the rest is retried; the batch's error is the one
      // to report, so a commit that fails too only means those records come again.
      await commits.commit(commitResolved).catch(() => undefined);
      const delayMs = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt, 16));
      const message =
        `consumer group ${options.groupId}: batch ${topic}/${partition} failed after offset ` +
        `${run.resolved ?? '(none)'}; retrying the rest in ${delayMs} ms: ${describeError(error)}`;
      logger.error(
        { event: 'BATCH_FAILED', topic, partition, resolved: run.resolved, attempt, err: error },
        message,
      );
      // Stopping (or the partition seeked elsewhere): the unfinished records stay unresolved and
      // uncommitted, so they come again to whoever consumes the partition next.
      if (!(await backOff(payload, delayMs, retry.pollMs))) return;
    }
  }
}

/**
 * Waits `delayMs` before a retry, heartbeating, so the member keeps its partitions and hears of a
 * rebalance (heartbeat() throws it, and it goes back to kafkajs). False when the consumer stops or
 * the partition was seeked meanwhile: then the batch is left, not retried.
 */
async function backOff(payload: EachBatchPayload, delayMs: number, pollMs: number) {
  const until = Date.now() + delayMs;
  for (;;) {
    if (!payload.isRunning() || payload.isStale()) return false;
    const left = until - Date.now();
    if (left <= 0) return true;
    // Sent only when one is due (the heartbeat interval), however often it is called.
    await payload.heartbeat();
    await sleep(Math.min(left, pollMs));
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
