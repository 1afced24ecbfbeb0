import { randomUUID } from 'node:crypto';
import type { Batch, Kafka } from 'kafkajs';
import { CLIENT_RETRY, internalsOf, type RapportKafka } from './client.js';
import { describeError, KafkaUnavailableError } from './errors.js';
import { Handoff } from './handoff.js';
import { toConsumedRecord, type ConsumedRecord } from './records.js';

/** The one mode there is: everything from the start up to what was there when reading began. */
export interface ReadTopicOptions {
  readonly fromBeginning?: true;
  readonly untilHighWatermark?: true;
}

/**
 * Reads every record a topic holds now, partition by partition in offset order, and ends: for
 * `rapport dlq list|replay`. Records written after the call began are not included. Commits
 * nothing and deletes its throwaway consumer group on the way out.
 */
export async function* readTopic(
  kafka: RapportKafka,
  topic: string,
  _options: ReadTopicOptions = {},
): AsyncGenerator<ConsumedRecord, void, undefined> {
  const { client } = internalsOf(kafka);
  const ends = await unreadEnds(client, topic);
  if (ends.size === 0) return;
  const groupId = `${kafka.clientId}.read.${randomUUID()}`;
  const handoff = new Handoff<ConsumedRecord[]>();
  const consumer = client.consumer({
    groupId,
    allowAutoTopicCreation: false,
    // Leaving waits for the fetch in flight, an empty long poll at the end: keep that short.
    maxWaitTimeInMs: 100,
    // A reader is a person waiting at a terminal: fail after the client's retries, never loop.
    retry: { ...CLIENT_RETRY, restartOnFailure: () => Promise.resolve(false) },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    handoff.fail(
      new KafkaUnavailableError(`reading ${topic} failed: ${describeError(payload.error)}`, {
        cause: payload.error,
      }),
    );
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const records = upToEnd(batch, ends);
        if (records.length > 0) await handoff.put(records);
        if (ends.size === 0) handoff.finish();
      },
    });
    for await (const records of handoff) yield* records;
  } finally {
    handoff.cancel();
    await consumer.disconnect();
    await deleteGroup(client, groupId);
  }
}

/** Each non-empty partition's high watermark: the offset after the last record there now. */
async function unreadEnds(client: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = client.admin();
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(
      offsets
        .filter(({ low, high }) => BigInt(high) > BigInt(low))
        .map(({ partition, high }) => [partition, BigInt(high)]),
    );
  } catch (error) {
    throw new KafkaUnavailableError(`cannot read ${topic}: ${describeError(error)}`, {
      cause: error,
    });
  } finally {
    await admin.disconnect();
  }
}

/** The batch's records below its partition's end; forgets the partition once it is reached. */
function upToEnd(batch: Batch, ends: Map<number, bigint>): ConsumedRecord[] {
  const end = ends.get(batch.partition);
  if (end === undefined) return [];
  if (BigInt(batch.lastOffset()) + 1n >= end) ends.delete(batch.partition);
  return batch.messages
    .filter((message) => BigInt(message.offset) < end)
    .map((message) => toConsumedRecord(batch.topic, batch.partition, message));
}

/** Best effort: an empty group without offsets expires on its own anyway. */
async function deleteGroup(client: Kafka, groupId: string): Promise<void> {
  const admin = client.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Nothing to undo: the broker drops the empty group itself after its retention.
  } finally {
    await admin.disconnect();
  }
}
