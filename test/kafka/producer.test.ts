import {
  createInteractionProducer,
  createKafka,
  DeadLetterSchema,
  KafkaPublishError,
  parseRecord,
  provisionTopics,
  type DeadLetter,
} from '@rapport/kafka';
import { StampedInteractionSchema } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNames } from '../harness/index.js';
import { kafkaConfig, kafkaFor, readAll, stamped } from './helpers.js';

describe('InteractionProducer (real broker)', () => {
  const { config, kafka } = kafkaFor(uniqueNames('kafka-producer'), 4);
  const producer = createInteractionProducer(kafka, config);

  beforeAll(async () => {
    await provisionTopics(kafka, config);
    await producer.connect();
  });
  afterAll(() => producer.disconnect());

  it('puts each customer on one partition, in order, as StampedInteraction JSON', async () => {
    const customers = ['c-ada', 'c-bob', 'c-cyd', 'c-dee', 'c-eve', 'c-fay'];
    const events = customers.flatMap((customer) =>
      Array.from({ length: 15 }, (_, seq) => stamped(customer, seq)),
    );
    // Many concurrent publishes, coalesced into serial flushes: none may be lost or reordered.
    const chunks = Array.from({ length: 30 }, (_, index) => events.slice(index * 3, index * 3 + 3));
    await Promise.all(chunks.map((chunk) => producer.publish(chunk, { timeoutMs: 10_000 })));

    const records = await readAll(kafka, config.topics.interactions);
    expect(records).toHaveLength(events.length);
    for (const customer of customers) {
      const mine = records.filter((record) => record.key === customer);
      expect(new Set(mine.map((record) => record.partition)).size).toBe(1);
      const parsed = mine.map((record) => parseRecord(StampedInteractionSchema, record));
      expect(parsed.map((result) => (result.ok ? result.value : result.issues))).toEqual(
        events.filter((event) => event.customerId === customer),
      );
    }
    expect(new Set(records.map((record) => record.partition)).size).toBeGreaterThan(1);
  });

  it('publishes dead letters keyed by customer, else by a stable hash of the payload', async () => {
    const letter: DeadLetter = {
      reason: { code: 'ADAPTER_REJECTED', message: 'bad', issues: [{ path: 'a', message: 'b' }] },
      source: 'webhook:email',
      receivedAt: '2024-05-01T00:00:00.000Z',
      original: '{"not":"an event"}',
      context: { line: 3 },
    };
    await producer.publishDeadLetters([letter, { ...letter, customerId: 'c-ada' }, letter], {
      timeoutMs: 10_000,
    });

    const records = await readAll(kafka, config.topics.dlq);
    const byKey = (key: string | null) =>
      records
        .filter((record) => record.key === key)
        .map((record) => parseRecord(DeadLetterSchema, record));
    expect(byKey('c-ada')).toEqual([{ ok: true, value: { ...letter, customerId: 'c-ada' } }]);
    const hashed = records.find((record) => record.key !== 'c-ada');
    expect(hashed?.key).toMatch(/^[0-9a-f]{64}$/);
    expect(byKey(hashed?.key ?? null)).toEqual([
      { ok: true, value: letter },
      { ok: true, value: letter },
    ]);
  });

  it('resolves at once for nothing, and rejects after disconnect', async () => {
    await producer.publish([], { timeoutMs: 1 });
    const other = createInteractionProducer(kafka, config);
    await other.connect();
    await other.disconnect();
    await expect(other.publish([stamped('c-x', 0)], { timeoutMs: 1_000 })).rejects.toMatchObject({
      code: 'KAFKA_UNAVAILABLE',
      retriable: true,
    });
  });
});

describe('InteractionProducer against an unreachable broker', () => {
  const config = kafkaConfig(uniqueNames('unreachable'), 1, { brokers: ['127.0.0.1:1'] });

  it('rejects a publish with a retriable KafkaPublishError within its timeout', async () => {
    const producer = createInteractionProducer(createKafka(config), config);
    const started = Date.now();
    const error: unknown = await producer
      .publish([stamped('c-1', 0)], { timeoutMs: 1_000 })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(KafkaPublishError);
    expect(error).toMatchObject({ retriable: true });
    expect(['KAFKA_PUBLISH_TIMEOUT', 'KAFKA_UNAVAILABLE']).toContain(
      (error as KafkaPublishError).code,
    );
    expect(elapsed).toBeLessThan(1_300);

    // The flush behind it gives up on its own soon after: nothing keeps retrying for minutes.
    await producer.disconnect();
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  it('fails connect() with KAFKA_UNAVAILABLE', async () => {
    const producer = createInteractionProducer(createKafka(config), config);
    await expect(producer.connect()).rejects.toMatchObject({
      name: 'KafkaPublishError',
      code: 'KAFKA_UNAVAILABLE',
      retriable: true,
    });
    await producer.disconnect();
  });

  it('never sends a publish that timed out while still queued', async () => {
    const producer = createInteractionProducer(createKafka(config), config);
    const first = producer.publish([stamped('c-1', 0)], { timeoutMs: 5_000 });
    const queued = producer.publish([stamped('c-1', 1)], { timeoutMs: 200 });
    await expect(queued).rejects.toMatchObject({ code: 'KAFKA_PUBLISH_TIMEOUT' });
    await expect(queued).rejects.not.toThrow(/may still land/);
    await expect(first).rejects.toBeInstanceOf(KafkaPublishError);
    await producer.disconnect();
  });
});
