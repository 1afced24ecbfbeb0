import { Kafka, logLevel, Partitioners, type Consumer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { testInfra, uniqueNames } from '../harness/index.js';

describe('Kafka (real broker)', () => {
  const infra = testInfra();
  const names = uniqueNames('smoke-kafka');
  const kafka = new Kafka({
    clientId: names.id,
    brokers: infra.kafkaBrokers,
    logLevel: logLevel.WARN,
  });
  const topic = names.topic('interactions');
  const consumers: Consumer[] = [];

  afterAll(async () => {
    await Promise.all(consumers.map((consumer) => consumer.disconnect()));
  });

  it('creates a topic and keeps each customer on one partition, in order', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    const customers = ['c-ada', 'c-bob', 'c-cyd', 'c-dee', 'c-eve'];
    const sent = customers.flatMap((customer) =>
      Array.from({ length: 20 }, (_, seq) => ({ key: customer, value: `${customer}:${seq}` })),
    );
    const producer = kafka.producer({
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: names.groupId('smoke') });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; value: string; partition: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: ({ message, partition }) => {
            received.push({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              partition,
            });
            if (received.length === sent.length) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });

    for (const customer of customers) {
      const mine = received.filter((message) => message.key === customer);
      expect(mine.map((message) => message.value)).toEqual(
        sent.filter((message) => message.key === customer).map((message) => message.value),
      );
      expect(new Set(mine.map((message) => message.partition)).size).toBe(1);
    }
    expect(new Set(received.map((message) => message.partition)).size).toBeGreaterThan(1);
  });
});
