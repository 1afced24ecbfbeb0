import { describe, expect, it } from 'vitest';
import { partitionWarnings, replicationProblems } from './topics.js';

const layouts = (entries: Record<string, [partitions: number, replicas: number]>) =>
  new Map(
    Object.entries(entries).map(([topic, [partitions, replicas]]) => [
      topic,
      { partitions, replicas },
    ]),
  );

describe('partitionWarnings', () => {
  it('warns about topics with fewer partitions than configured, only', () => {
    const warnings = partitionWarnings(layouts({ a: [3, 1], b: [12, 1], c: [24, 1] }), 12);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('topic a has 3 partition(s), fewer than the configured 12');
  });
});

describe('replicationProblems', () => {
  it('refuses fewer replicas than configured, naming both fixes; reports more; passes equal', () => {
    const { fewer, more } = replicationProblems(layouts({ a: [12, 1], b: [12, 3], c: [12, 5] }), 3);
    expect(fewer).toEqual([
      'topic a has 1 replica(s) per partition, fewer than the configured 3 ' +
        '(RAPPORT_KAFKA_REPLICATION_FACTOR), and Kafka cannot add replicas to a topic in place: ' +
        'reassign its partitions to 3 brokers (kafka-reassign-partitions.sh), or set ' +
        'RAPPORT_KAFKA_REPLICATION_FACTOR=1 to run with what it has',
    ]);
    expect(more).toEqual([
      'topic c has 5 replica(s) per partition, more than the configured 3 ' +
        '(RAPPORT_KAFKA_REPLICATION_FACTOR); it is used as it is',
    ]);
  });
});
