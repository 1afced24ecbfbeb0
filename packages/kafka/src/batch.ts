import { setTimeout as sleep } from 'node:timers/promises';
import type { Issue } from '@rapport/schema';
import type { EachBatchPayload } from 'kafkajs';
import type { z } from 'zod';
import type { CommitCoalescer } from './commits.js';
import { ContiguousRun } from './contiguous.js';
import { failedLetter, poisonLetter, type DeadLetter, type PoisonOrigin } from './dead-letter.js';
import { describeError, KafkaError } from './errors.js';
import type { KafkaLogger } from './logger.js';
import type { InteractionProducer } from './producer.js';
import {
  parsedRecord,
  parseRecord,
  toConsumedRecord,
  type ConsumedRecord,
  type ParsedRecord,
} from './records.js';
import type { Stalls } from './stalls.js';

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
  /** Told how many letters of each reason the topic took (a metric). */
  readonly onLettered?: (reason: string, count: number) => void;
}

/**
 * How a failing batch (its handler threw, or the dead-letter topic did not acknowledge) is
 * retried: in place, backing off from 300 ms to 10 s, so the partition waits for the downstream
 * to come back. The member heartbeats while it waits, so it keeps its partitions however long
 * the outage, takes part in a rebalance at once, and stops within `pollMs`.
 * (Thrown back to kafkajs, the batch would wait in kafkajs's retry, which sends no heartbeat:
 * the member was evicted every session timeout of an outage, and a stop waited the back-off out.)
 * kafkajs fetches again from a broker once every batch of its fetch is done, so the other
 * partitions of the fetch wait with the failing one: Rapport's consumers fail for causes their
 * partitions share (Redis, Kafka or Temporal away), and a record that fails for a cause of its
 * own is dead-lettered after a bounded number of attempts (see processBatch).
 */
export const BATCH_RETRY = { initialMs: 300, maxMs: 10_000, pollMs: 250 } as const;

export type BatchRetry = Readonly<Record<keyof typeof BATCH_RETRY, number>>;

/** What processBatch needs of its consumer. */
export interface BatchHandling<T> {
  readonly groupId: string;
  readonly schema: z.ZodType<T>;
  readonly handleBatch: (batch: ConsumedBatch<T>) => Promise<void>;
  readonly dlq: DeadLetterTarget | undefined;
  /** Resolves when the handler's environment answers; see BatchConsumerOptions.probe. */
  readonly probe: (() => Promise<unknown>) | undefined;
  /** Failures before the probe is asked, and of each record alone before it is dead-lettered. */
  readonly attempts: number;
  readonly retry: BatchRetry;
  readonly logger: KafkaLogger;
  readonly commits: CommitCoalescer;
  readonly stalls: Stalls;
}

const DEFAULT_DLQ_TIMEOUT_MS = 10_000;
/** A probe that has not answered in this long counts as the environment not answering. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Handles one partition's batch until every record is finished: handled, or dead-lettered.
 * A failing batch is retried in place (BATCH_RETRY). After `attempts` failures the probe says
 * whose fault it is: while the environment does not answer, the batch waits on (failures then
 * are not counted, nothing is dead-lettered); while it answers, the pending records are handled
 * one at a time, and one that fails `attempts` times alone, the environment still answering, is
 * dead-lettered as HANDLER_FAILED with its bytes and the last error, and the partition moves on.
 */
export async function processBatch<T>(
  payload: EachBatchPayload,
  handling: BatchHandling<T>,
): Promise<void> {
  const { topic, partition } = payload.batch;
  const { groupId, logger, stalls, attempts } = handling;
  const commitResolved = () =>
    handling.commits.commit(() => payload.commitOffsetsIfNecessary(payload.uncommittedOffsets()));
  const records = payload.batch.messages.map((message) =>
    toConsumedRecord(topic, partition, message),
  );
  const run = new ContiguousRun(records.map((record) => record.offset));
  const finished = new Set<string>();
  const finish = (offset: string) => {
    if (finished.has(offset)) return;
    finished.add(offset);
    const resolved = run.finish(offset);
    if (resolved === undefined) return;
    payload.resolveOffset(resolved);
    stalls.waitFromNow(topic, partition);
  };
  /** Once the batch failed `attempts` times with its environment answering: one record at a time. */
  let alone = false;
  /** Failures counted towards `attempts`: of the batch, then of its first pending record alone. */
  let counted = 0;
  /** Failures in a row, for the back-off. */
  let streak = 0;
  stalls.waitFromNow(topic, partition);
  try {
    for (;;) {
      // A retry takes the records not finished yet: what finished (handled, or dead-lettered)
      // is not done twice by this member.
      const pending = records.filter((record) => !finished.has(record.offset));
      if (pending.length === 0) return await commitResolved();
      if (alone && !(await stillOurs(payload))) return await commitResolved();
      const handled = alone ? pending.slice(0, 1) : pending;
      try {
        await handle(handled, payload, handling, finish);
        counted = 0;
        streak = 0;
        continue;
      } catch (error) {
        // kafkajs's own signals (heartbeat() or a commit seeing a rebalance) go back to it
        // untouched: it rejoins the group at once; the partition may go to another member,
        // which gets what was not committed.
        if (isKafkaJSError(error)) throw error;
        // Keep the finished run (markDone) before the rest is retried; the batch's error is the
        // one to report, so a commit that fails too only means those records come again.
        await commitResolved().catch(() => undefined);
        // Stopping (or the partition seeked elsewhere): the unfinished records stay unresolved
        // and uncommitted, so they come again to whoever consumes the partition next.
        if (leaving(payload)) return;
        counted += 1;
        streak += 1;
        const where = alone
          ? `record ${topic}/${partition}@${handled[0]?.offset ?? '?'} (alone, ${counted} of ${attempts})`
          : `batch ${topic}/${partition} after offset ${run.resolved ?? '(none)'}`;
        if (counted >= attempts && handling.probe !== undefined) {
          const down = await environmentDown(handling.probe);
          if (down !== undefined) {
            // An outage: whatever failed, no record is to blame, and none is dead-lettered.
            counted -= 1;
            logger.warn(
              { event: 'ENVIRONMENT_DOWN', topic, partition, reason: down },
              `consumer group ${groupId}: ${where} keeps failing and its environment does not ` +
                `answer (${down}); waiting for it`,
            );
          } else if (!alone) {
            alone = true;
            counted = 0;
            streak = 0;
            logger.warn(
              { event: 'ISOLATING', topic, partition, resolved: run.resolved, err: error },
              `consumer group ${groupId}: ${where} failed ${attempts} times while its ` +
                `environment answered; handling its records one at a time: ${describeError(error)}`,
            );
            continue;
          } else if (
            await deadLetterFailed(handled[0], error, payload, handling, finish, commitResolved)
          ) {
            counted = 0;
            streak = 0;
            continue;
          }
        }
        const delayMs = Math.min(
          handling.retry.maxMs,
          handling.retry.initialMs * 2 ** Math.min(streak - 1, 16),
        );
        logger.error(
          {
            event: 'BATCH_FAILED',
            topic,
            partition,
            resolved: run.resolved,
            attempt: streak,
            err: error,
          },
          `consumer group ${groupId}: ${where} failed; retrying in ${delayMs} ms: ` +
            describeError(error),
        );
        if (!(await backOff(payload, delayMs, handling.retry.pollMs))) return;
      }
    }
  } finally {
    stalls.left(topic, partition);
  }
}

/** Parses the records, dead-letters those that do not parse, hands the rest to the handler. */
async function handle<T>(
  records: readonly ConsumedRecord[],
  payload: EachBatchPayload,
  handling: BatchHandling<T>,
  finish: (offset: string) => void,
): Promise<void> {
  const { topic, partition } = payload.batch;
  const { parsed, poison } = splitPoison(records, handling.schema);
  if (poison.length > 0) {
    const origin = originOf(handling);
    await publish(
      poison.map(({ record, issues }) => poisonLetter(record, issues, origin)),
      handling,
    );
    for (const { record } of poison) finish(record.offset);
  }
  if (parsed.length === 0) return;
  await handling.handleBatch({
    topic,
    partition,
    records: parsed,
    markDone: (record) => finish(record.offset),
    heartbeat: () => payload.heartbeat(),
  });
  for (const record of parsed) finish(record.offset);
}

/**
 * Dead-letters a record that failed alone as often as allowed with its environment answering;
 * true when the topic took it (then it is finished and committed). A letter the topic did not
 * take is tried again after the record's next failure.
 */
async function deadLetterFailed<T>(
  record: ConsumedRecord | undefined,
  error: unknown,
  payload: EachBatchPayload,
  handling: BatchHandling<T>,
  finish: (offset: string) => void,
  commitResolved: () => Promise<void>,
): Promise<boolean> {
  if (record === undefined) return false;
  const { topic, partition } = payload.batch;
  const { groupId, logger, attempts } = handling;
  const why = errorLine(error);
  try {
    await publish([failedLetter(record, attempts, why, originOf(handling))], handling);
  } catch (failure) {
    if (isKafkaJSError(failure)) throw failure;
    logger.error(
      { event: 'DEAD_LETTER_FAILED', topic, partition, offset: record.offset, err: failure },
      `consumer group ${groupId}: ${topic}/${partition}@${record.offset} could not be ` +
        `dead-lettered: ${describeError(failure)}`,
    );
    return false;
  }
  finish(record.offset);
  await commitResolved().catch(() => undefined);
  logger.error(
    { event: 'DEAD_LETTERED', topic, partition, offset: record.offset, err: error },
    `consumer group ${groupId}: ${topic}/${partition}@${record.offset} failed ${attempts} ` +
      `times alone while its environment answered; dead-lettered (HANDLER_FAILED): ${why}`,
  );
  return true;
}

/** The error as a letter carries it: its class when it says something, and the client's reason. */
function errorLine(error: unknown): string {
  const described = describeError(error);
  return error instanceof Error && error.name !== 'Error'
    ? `${error.name}: ${described}`
    : described;
}

/** Why the environment does not answer, or undefined when it does. */
async function environmentDown(probe: () => Promise<unknown>): Promise<string | undefined> {
  const timeout = new AbortController();
  try {
    await Promise.race([
      probe(),
      sleep(PROBE_TIMEOUT_MS, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`);
      }),
    ]);
    return undefined;
  } catch (error) {
    return describeError(error);
  } finally {
    timeout.abort();
  }
}

/** The consumer stops, or the partition was seeked elsewhere: its batch is not ours to finish. */
const leaving = (payload: EachBatchPayload) => !payload.isRunning() || payload.isStale();

/** True while the partition is still this member's to work on: heartbeats, as between records. */
async function stillOurs(payload: EachBatchPayload): Promise<boolean> {
  if (leaving(payload)) return false;
  // Sent only when one is due; throws a rebalance back to kafkajs.
  await payload.heartbeat();
  return true;
}

/**
 * Waits `delayMs` before a retry, heartbeating, so the member keeps its partitions and hears of a
 * rebalance (heartbeat() throws it, and it goes back to kafkajs). False when the consumer stops or
 * the partition was seeked meanwhile: then the batch is left, not retried.
 */
async function backOff(payload: EachBatchPayload, delayMs: number, pollMs: number) {
  const until = Date.now() + delayMs;
  for (;;) {
    if (leaving(payload)) return false;
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
    if (result.ok) parsed.push(parsedRecord(record, result.value));
    else poison.push({ record, issues: result.issues });
  }
  return { parsed, poison };
}

type LetterTarget = Pick<BatchHandling<unknown>, 'dlq' | 'groupId'>;

const originOf = (handling: LetterTarget): PoisonOrigin => ({
  source: handling.dlq?.source ?? '',
  groupId: handling.groupId,
  receivedAt: new Date().toISOString(),
});

async function publish(letters: readonly DeadLetter[], handling: LetterTarget): Promise<void> {
  const { dlq } = handling;
  if (dlq === undefined) {
    const where = letters
      .map((letter) => `${letter.context?.['partition']}@${letter.context?.['offset']}`)
      .join(', ');
    throw new KafkaError(
      'KAFKA_POISON_MESSAGE',
      `records ${where} are to be dead-lettered (${letters[0]?.reason.code}) and this consumer ` +
        `has no dead-letter topic`,
    );
  }
  await dlq.producer.publishDeadLetters(letters, {
    timeoutMs: dlq.timeoutMs ?? DEFAULT_DLQ_TIMEOUT_MS,
  });
  const byReason = new Map<string, number>();
  for (const { reason } of letters) byReason.set(reason.code, (byReason.get(reason.code) ?? 0) + 1);
  for (const [reason, count] of byReason) dlq.onLettered?.(reason, count);
}
