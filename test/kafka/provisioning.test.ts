import {
  createKafka,
  KafkaTopicMismatchError,
  KafkaUnavailableError,
  provisionTopics,
} from '@rapport/kafka';
import { ConfigResourceTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { uniqueNames } from '../harness/index.js';
import {
  kafkaConfig,
  kafkaFor,
  recordingLogger,
  topicSettings,
  withInspectingAdmin,
} from './helpers.js';

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

  it('creates topics with the configured min.insync.replicas and retention, and sets them back on an existing topic, keeping its other settings', async () => {
    const names = uniqueNames('kafka-provision-settings');
    // One replica, whatever the test servers' cluster: min.insync.replicas 1 is its configured value.
    const settings = { retentionMs: 3_600_000, replicationFactor: 1, minInsyncReplicas: 1 };
    const { config, kafka } = kafkaFor(names, 2, undefined, settings);
    const { interactions, dlq } = config.topics;
    await provisionTopics(kafka, config);
    expect(await topicSettings(interactions)).toMatchObject({
      'min.insync.replicas': '1',
      'retention.ms': '3600000',
    });

    // An operator's change of Rapport's settings, and a setting of their own besides.
    await withInspectingAdmin((admin) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: interactions,
            configEntries: [
              { name: 'min.insync.replicas', value: '2' },
              { name: 'retention.ms', value: '60000' },
              { name: 'max.message.bytes', value: '2000000' },
            ],
          },
        ],
      }),
    );
    const logger = recordingLogger();
    const again = kafkaFor(names, 2, logger, settings);
    await provisionTopics(again.kafka, again.config);
    // The controller has committed the change when the call returns; the broker that answers
    // describeConfigs applies it from the metadata log a moment later.
    await expect
      .poll(() => topicSettings(interactions))
      .toMatchObject({
        'min.insync.replicas': '1',
        'retention.ms': '3600000',
        'max.message.bytes': '2000000',
      });
    expect(logger.lines.map((line) => line.message)).toEqual([
      `set min.insync.replicas and retention.ms of ${interactions} to the configured values`,
    ]);
    expect(await topicSettings(dlq)).toMatchObject({ 'min.insync.replicas': '1' });
  });

  it('stops on an existing topic with fewer replicas than configured, naming it and the fix; will not create topics the brokers cannot hold', async () => {
    const names = uniqueNames('kafka-provision-replicas');
    const single = kafkaFor(names, 2, undefined, { replicationFactor: 1, minInsyncReplicas: 1 });
    await provisionTopics(single.kafka, single.config);

    const { config, kafka } = kafkaFor(names, 2, undefined, { replicationFactor: 2 });
    const error: unknown = await provisionTopics(kafka, config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaTopicMismatchError);
    expect(error).toMatchObject({ code: 'KAFKA_TOPIC_MISMATCH', retriable: false });
    expect(String(error)).toContain(
      `topic ${config.topics.interactions} has 1 replica(s) per partition, fewer than the configured 2`,
    );
    expect(String(error)).toContain('or set RAPPORT_KAFKA_REPLICATION_FACTOR=1');

    const live = await withInspectingAdmin(
      async (admin) => (await admin.describeCluster()).brokers.length,
    );
    const fresh = kafkaFor(uniqueNames('kafka-provision-rf'), 2, undefined, {
      replicationFactor: live + 1,
    });
    const refused: unknown = await provisionTopics(fresh.kafka, fresh.config).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KafkaUnavailableError);
    expect(String(refused)).toContain(
      `cannot create topics of ${live + 1} replicas (RAPPORT_KAFKA_REPLICATION_FACTOR) on ${live} live broker(s)`,
    );
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
