import type { Config } from '@rapport/config';
import {
  createKafka,
  readTopic,
  type ConsumedRecord,
  type KafkaLogger,
  type RapportKafka,
} from '@rapport/kafka';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { testConfig, testInfra, type uniqueNames } from '../harness/index.js';

export type Names = ReturnType<typeof uniqueNames>;

/** The `kafka` section of the test configuration, pointed at this file's own topics. */
export function kafkaConfig(
  names: Names,
  partitions: number,
  overrides: Partial<Config['kafka']> = {},
): Config['kafka'] {
  return {
    ...testConfig(names).kafka,
    clientId: names.id,
    partitions,
    ...overrides,
  };
}

let sequence = 0;
/** A valid stamped event; `seq` goes into the eventId so order can be checked on the way out. */
export function stamped(customerId: string, seq: number): StampedInteraction {
  sequence += 1;
  return {
    eventId: `${customerId}:${seq}:${sequence}`,
    customerId,
    channel: 'email',
    type: 'email.replied',
    direction: 'inbound',
    occurredAt: '2024-05-01T09:30:00.000Z',
    receivedAt: '2024-05-01T09:30:01.000Z',
    source: 'http',
  };
}

export interface LogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}

/** A logger that keeps its lines, so a test can assert what an operator would have read. */
export function recordingLogger(): KafkaLogger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) => (fields: Readonly<Record<string, unknown>>, message: string) =>
      void lines.push({ level, fields, message });
  return { lines, error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

export async function readAll(kafka: RapportKafka, topic: string): Promise<ConsumedRecord[]> {
  const records: ConsumedRecord[] = [];
  for await (const record of readTopic(kafka, topic)) records.push(record);
  return records;
}

/** Polls until the check passes (returns its value) or the time is up (throws its last error). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Runs `inspect` with a plain kafkajs admin: what the runner wrote is exactly what a test has to
 * check, so it is not read back through the package under test. On the test servers' cluster
 * unless `brokers` name another.
 */
export async function withInspectingAdmin<T>(
  inspect: (admin: Admin) => Promise<T>,
  brokers: readonly string[] = testInfra().kafkaBrokers,
): Promise<T> {
  const admin = new Kafka({
    clientId: 'test-inspect',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await inspect(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Every event of an interaction topic, in the order read, copies included. */
export async function readEvents(
  kafka: RapportKafka,
  topic: string,
): Promise<StampedInteraction[]> {
  return (await readAll(kafka, topic)).map((record) =>
    StampedInteractionSchema.parse(JSON.parse(record.value ?? 'null')),
  );
}

/** The first of each eventId: what remains of a log once its copies are left out. */
export const uniqueById = (events: readonly StampedInteraction[]): StampedInteraction[] => [
  ...new Map(events.map((event) => [event.eventId, event])).values(),
];

/** A topic's settings as the broker describes them, by name. */
export function topicSettings(
  topic: string,
  brokers?: readonly string[],
): Promise<Record<string, string>> {
  return withInspectingAdmin(async (admin) => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    return Object.fromEntries(
      (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
    );
  }, brokers);
}

/** The group's committed offsets per partition. */
export function committedOffsets(groupId: string, topic: string): Promise<Map<number, string>> {
  return withInspectingAdmin(async (admin) => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, p.offset]));
  });
}

export function kafkaFor(
  names: Names,
  partitions: number,
  logger?: KafkaLogger,
  overrides: Partial<Config['kafka']> = {},
) {
  const config = kafkaConfig(names, partitions, overrides);
  return { config, kafka: createKafka(config, logger === undefined ? {} : { logger }) };
}
