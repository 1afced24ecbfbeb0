import type { StampedInteraction } from '@rapport/schema';
import { Partitioners, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { internalsOf, type KafkaConfig, type RapportKafka } from './client.js';
import { deadLetterKey, type DeadLetter } from './dead-letter.js';
import { KafkaPublishError, publishFailure } from './errors.js';
import type { KafkaLogger } from './logger.js';

export interface PublishOptions {
  /** Reject with KAFKA_PUBLISH_TIMEOUT if Kafka has not acknowledged every record by then. */
  readonly timeoutMs: number;
}

export interface InteractionProducer {
  /** Connects and registers the idempotent producer id; rejects with KafkaPublishError. */
  connect(): Promise<void>;
  /**
   * Resolves only when Kafka acknowledged every record (acks=-1, idempotent producer); key =
   * customerId, value = the event's JSON, in the given order. Rejects with KafkaPublishError
   * (KAFKA_PUBLISH_TIMEOUT or KAFKA_UNAVAILABLE, retriable) when not acknowledged in time.
   */
  publish(events: readonly StampedInteraction[], options: PublishOptions): Promise<void>;
  /** The same guarantee, to the dead-letter topic; key = customerId, else a payload hash. */
  publishDeadLetters(letters: readonly DeadLetter[], options: PublishOptions): Promise<void>;
  /** Sends what is queued, then disconnects; later publishes reject with KAFKA_UNAVAILABLE. */
  disconnect(): Promise<void>;
}

/**
 * The producer's own retries, on top of the client's connection retries (client.ts). Bounded,
 * unlike kafkajs's idempotent default of Number.MAX_SAFE_INTEGER: with that, a publish the
 * gateway had already answered 503 kept retrying in the background for as long as the broker
 * was down, then landed minutes later next to the client's own retry. With these few short
 * retries a flush gives up within seconds of a broker going away (docs/performance.md has the
 * measured window); a broker that accepts connections and never answers can hold a flush for up
 * to (retries + 1) x the client's request timeout. That is the whole at-least-once window: a
 * publish that timed out while its flush was in flight may still land within it, next to the
 * client's retry, and consumers de-duplicate by eventId; a publish that timed out while queued is
 * never sent.
 */
const PRODUCER_RETRY = {
  initialRetryTime: 100,
  maxRetryTime: 1_000,
  factor: 0.2,
  multiplier: 2,
  retries: 3,
} as const;

/**
 * Largest flush, in value bytes. Concurrent publishes are coalesced into one produce request;
 * the broker refuses a partition's batch above `message.max.bytes` (1 MiB by default), and one
 * oversized publish must not fail the innocent ones it was coalesced with.
 */
export const MAX_FLUSH_BYTES = 512 * 1024;

export function createInteractionProducer(
  kafka: RapportKafka,
  config: KafkaConfig,
): InteractionProducer {
  const queue = new PublishQueue(kafka);
  return {
    connect: () => queue.connect(),
    publish: (events, options) =>
      queue.publish(config.topics.interactions, events.map(interactionMessage), options),
    publishDeadLetters: (letters, options) =>
      queue.publish(config.topics.dlq, letters.map(deadLetterMessage), options),
    disconnect: () => queue.close(),
  };
}

interface OutboundMessage {
  readonly key: string;
  readonly value: string;
}

const interactionMessage = (event: StampedInteraction): OutboundMessage => ({
  key: event.customerId,
  value: JSON.stringify(event),
});

const deadLetterMessage = (letter: DeadLetter): OutboundMessage => ({
  key: deadLetterKey(letter),
  value: JSON.stringify(letter),
});

interface Pending {
  readonly topic: string;
  readonly messages: readonly OutboundMessage[];
  readonly bytes: number;
  /** Settles the caller's promise once; later outcomes (a flush after the deadline) are ignored. */
  readonly settle: (failure: KafkaPublishError | undefined) => void;
}

/**
 * One flush at a time, each carrying every publish that queued up while the previous one was in
 * flight (group commit: the throughput of concurrency without concurrent sends).
 *
 * Why never two sends at once: kafkajs's idempotent producer rolls a failed request's sequence
 * numbers back and hands them to the next request. When the failed request had in fact been
 * written (its answer was lost), a concurrent send reusing those numbers is taken by the broker
 * for a duplicate and acknowledged without being written: acked and lost (kafkajs issues #598,
 * #1005). Serial flushes keep a retry's sequence numbers for the retry itself, where the broker's
 * de-duplication is exactly what is wanted, and after a flush fails for good the producer is
 * replaced, so the next flush starts a fresh producer id instead of reusing suspect numbers.
 */
class PublishQueue {
  readonly #kafka: RapportKafka;
  readonly #logger: KafkaLogger;
  readonly #waiting: Pending[] = [];
  #producer: Promise<Producer> | undefined;
  #flushing: Promise<void> | undefined;
  #closed = false;

  constructor(kafka: RapportKafka) {
    this.#kafka = kafka;
    this.#logger = internalsOf(kafka).logger;
  }

  async connect(): Promise<void> {
    if (this.#closed) throw closedError();
    try {
      await this.#connected();
    } catch (error) {
      throw publishFailure(error);
    }
  }

  publish(
    topic: string,
    messages: readonly OutboundMessage[],
    { timeoutMs }: PublishOptions,
  ): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (messages.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Still queued: take it out, so what the caller was told failed is never sent.
        const index = this.#waiting.indexOf(pending);
        if (index >= 0) this.#waiting.splice(index, 1);
        pending.settle(timeoutError(topic, messages.length, timeoutMs, index < 0));
      }, timeoutMs);
      let settled = false;
      const pending: Pending = {
        topic,
        messages,
        bytes: messages.reduce((sum, message) => sum + Buffer.byteLength(message.value), 0),
        settle: (failure) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          if (failure === undefined) resolve();
          else reject(failure);
        },
      };
      this.#waiting.push(pending);
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing !== undefined) await this.#flushing;
    await this.#discardProducer();
  }

  #pump(): void {
    if (this.#flushing !== undefined || this.#waiting.length === 0) return;
    const batch = this.#waiting.splice(0, flushSize(this.#waiting, MAX_FLUSH_BYTES));
    this.#flushing = this.#flush(batch).finally(() => {
      this.#flushing = undefined;
      this.#pump();
    });
  }

  /** Never rejects: every outcome is delivered to the callers through `settle`. */
  async #flush(batch: readonly Pending[]): Promise<void> {
    try {
      const producer = await this.#connected();
      await producer.sendBatch({ acks: -1, topicMessages: byTopic(batch) });
      for (const pending of batch) pending.settle(undefined);
    } catch (error) {
      const failure = publishFailure(error);
      this.#logger.warn({ err: error, code: failure.code }, failure.message);
      for (const pending of batch) pending.settle(failure);
      await this.#discardProducer();
    }
  }

  #connected(): Promise<Producer> {
    this.#producer ??= this.#open();
    return this.#producer;
  }

  async #open(): Promise<Producer> {
    const producer = internalsOf(this.#kafka).client.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // Topics are provisioned with the configured partitions; a typo must not create another.
      allowAutoTopicCreation: false,
      retry: PRODUCER_RETRY,
      // Explicit, so kafkajs v2 does not warn; murmur2 keys land where Java clients put them.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    try {
      await producer.connect();
      return producer;
    } catch (error) {
      this.#producer = undefined;
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async #discardProducer(): Promise<void> {
    const current = this.#producer;
    this.#producer = undefined;
    const producer = await current?.catch(() => undefined);
    await producer?.disconnect().catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'kafka producer did not disconnect cleanly');
    });
  }
}

/** How many of the queued publishes go into the next flush: at least one, then up to the cap. */
export function flushSize(queue: readonly { readonly bytes: number }[], maxBytes: number): number {
  let bytes = 0;
  let count = 0;
  for (const pending of queue) {
    if (count > 0 && bytes + pending.bytes > maxBytes) break;
    bytes += pending.bytes;
    count += 1;
  }
  return count;
}

/** kafkajs keeps messages of one topic in array order, and so in order within each partition. */
function byTopic(batch: readonly Pending[]): TopicMessages[] {
  const topics = new Map<string, Message[]>();
  for (const pending of batch) {
    const messages = topics.get(pending.topic) ?? [];
    messages.push(...pending.messages);
    topics.set(pending.topic, messages);
  }
  return [...topics].map(([topic, messages]) => ({ topic, messages }));
}

function timeoutError(topic: string, count: number, timeoutMs: number, sent: boolean) {
  return new KafkaPublishError(
    'KAFKA_PUBLISH_TIMEOUT',
    `Kafka did not acknowledge ${count} record(s) to ${topic} within ${timeoutMs} ms` +
      (sent ? ' (they were sent and may still land; consumers de-duplicate by eventId)' : ''),
  );
}

function closedError() {
  return new KafkaPublishError('KAFKA_UNAVAILABLE', 'the Kafka producer is disconnected');
}
