import { createInteractionProducer, provisionTopics, readTopic } from '@rapport/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueNames } from '../harness/index.js';
import { kafkaFor, readAll, stamped } from './helpers.js';

describe('readTopic (real broker)', () => {
  const { config, kafka } = kafkaFor(uniqueNames('kafka-read'), 3);
  const producer = createInteractionProducer(kafka, config);
  const topic = config.topics.interactions;
  const customers = ['c-a', 'c-b', 'c-c', 'c-d', 'c-e', 'c-f'];
  const events = customers.flatMap((customer) =>
    Array.from({ length: 5 }, (_, seq) => stamped(customer, seq)),
  );

  beforeAll(async () => {
    await provisionTopics(kafka, config);
    await producer.connect();
    await producer.publish(events, { timeoutMs: 10_000 });
  });
  afterAll(() => producer.disconnect());

  it('reads what is there at the start, in offset order per partition, and ends', async () => {
    const records = [];
    let appended = false;
    for await (const record of readTopic(kafka, topic, {
      fromBeginning: true,
      untilHighWatermark: true,
    })) {
      records.push(record);
      if (!appended) {
        appended = true;
        // Written after reading began: not part of "what is there now".
        await producer.publish([stamped('c-a', 99), stamped('c-z', 0)], { timeoutMs: 10_000 });
      }
    }
    expect(records).toHaveLength(events.length);
    for (const partition of new Set(records.map((record) => record.partition))) {
      const mine = records.filter((record) => record.partition === partition);
      expect(mine.map((record) => Number(record.offset))).toEqual(mine.map((_, index) => index));
    }
    expect(new Set(records.map((record) => record.value))).toEqual(
      new Set(events.map((event) => JSON.stringify(event))),
    );
  });

  it('ends at once on an empty topic', async () => {
    const started = Date.now();
    expect(await readAll(kafka, config.topics.dlq)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('lets the reader stop early without hanging', async () => {
    const started = Date.now();
    for await (const record of readTopic(kafka, topic)) {
      expect(record.topic).toBe(topic);
      break;
    }
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rejects, typed, for a topic that does not exist', async () => {
    await expect(readAll(kafka, `${topic}.missing`)).rejects.toMatchObject({
      name: 'KafkaUnavailableError',
    });
  });
});
