import { createKafka, KafkaUnavailableError, provisionTopics } from '@rapport/kafka';
import { describe, expect, it } from 'vitest';
import { uniqueNames } from '../harness/index.js';
import { kafkaConfig, kafkaFor, recordingLogger, withInspectingAdmin } from './helpers.js';

function partitionCounts(topics: string[]) {
  return withInspectingAdmin(async (admin) => {
    const metadata = await admin.fetchTopicMetadata({ topics });
    return Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]));
  });
}

describe('provisionTopics (real broker)', () => {
  it('creates both topics with the configured partitions, then finds them existing', async () => {
    const { config, kafka } = kafkaFor(uniqueNames('kafka-provision'), 5);
    const { interactions, dlq } = config.topics;

    const first = await provisionTopics(kafka, config);
    expect(first).toEqual({ created: [interactions, dlq], existing: [], warnings: [] });
    expect(await partitionCounts([interactions, dlq])).toEqual({ [interactions]: 5, [dlq]: 5 });

    const [again, concurrently] = await Promise.all([
      provisionTopics(kafka, config),
      provisionTopics(kafka, config),
    ]);
    expect(again).toEqual({ created: [], existing: [interactions, dlq], warnings: [] });
    expect(concurrently).toEqual(again);
  });

  it('lets several services provision fresh topics at the same moment, as compose starts them', async () => {
    const names = uniqueNames('kafka-provision-race');
    const services = Array.from({ length: 4 }, () => kafkaFor(names, 12));
    const results = await Promise.all(
      services.map(({ kafka, config }) => provisionTopics(kafka, config)),
    );
    const { interactions, dlq } = services[0]?.config.topics ?? { interactions: '', dlq: '' };
    expect(results.flatMap((result) => result.created).sort()).toEqual([dlq, interactions].sort());
    expect(await partitionCounts([interactions, dlq])).toEqual({ [interactions]: 12, [dlq]: 12 });
  });

  it('warns, without failing, when an existing topic has fewer partitions than configured', async () => {
    const names = uniqueNames('kafka-provision-fewer');
    const logger = recordingLogger();
    const small = kafkaFor(names, 2);
    await provisionTopics(small.kafka, small.config);

    const { config, kafka } = kafkaFor(names, 6, logger);
    const result = await provisionTopics(kafka, config);
    expect(result.created).toEqual([]);
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toContain(`${config.topics.interactions} has 2 partition(s)`);
    expect(logger.lines.filter((line) => line.level === 'warn').map((l) => l.message)).toEqual(
      result.warnings,
    );
    expect(await partitionCounts([config.topics.interactions])).toEqual({
      [config.topics.interactions]: 2,
    });
  });

  it('ping answers for a live cluster and fails fast, typed, for a dead one', async () => {
    const { kafka } = kafkaFor(uniqueNames('kafka-ping'), 1);
    await kafka.ping();

    const dead = createKafka(kafkaConfig(uniqueNames('dead'), 1, { brokers: ['127.0.0.1:1'] }));
    const started = Date.now();
    const error: unknown = await dead.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect(error).toMatchObject({ code: 'KAFKA_UNAVAILABLE', retriable: true });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
