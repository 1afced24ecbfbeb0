import kafkajs, { type Admin } from 'kafkajs';
import { internalsOf, type KafkaConfig, type RapportKafka } from './client.js';
import { describeError, KafkaUnavailableError } from './errors.js';

export interface ProvisionedTopics {
  readonly created: string[];
  readonly existing: string[];
  /** Existing topics with fewer partitions than configured: usable, but worth an operator's look. */
  readonly warnings: string[];
}

/**
 * Creates the interaction log and the dead-letter topic (both with the configured partition
 * count) unless they exist, and waits until every partition of a topic it created has a leader,
 * so the first publish after start-up does not race leader election. Safe to run from every
 * service at once: the loser of a creation race finds the topic existing. Logs what it created
 * and any partition warning, so the services that call it need not.
 */
export async function provisionTopics(
  kafka: RapportKafka,
  config: KafkaConfig,
): Promise<ProvisionedTopics> {
  const { client, logger } = internalsOf(kafka);
  const topics = [config.topics.interactions, config.topics.dlq];
  const admin = client.admin();
  try {
    await admin.connect();
    // Listed first: asked to create a topic that exists, kafkajs logs an error for it.
    const listed = new Set(await admin.listTopics());
    const created: string[] = [];
    for (const topic of topics.filter((name) => !listed.has(name))) {
      // One topic per call: kafkajs answers `false` only when every topic in a call existed.
      if (await createTopic(admin, topic, config.partitions, config.retentionMs)) {
        created.push(topic);
      }
    }
    if (created.length > 0) logger.info({ created }, `created topics ${created.join(', ')}`);
    const existing = topics.filter((topic) => !created.includes(topic));
    const counts = await partitionCounts(admin, topics, Date.now() + LEADERS_WITHIN_MS);
    const warnings = partitionWarnings(
      new Map([...counts].filter(([topic]) => existing.includes(topic))),
      config.partitions,
    );
    for (const warning of warnings) logger.warn({ partitions: config.partitions }, warning);
    const retained = await applyRetention(admin, existing, config.retentionMs);
    if (retained.length > 0) {
      logger.info(
        { topics: retained, retentionMs: config.retentionMs },
        `set the retention of ${retained.join(', ')} to the configured ${String(config.retentionMs)} ms`,
      );
    }
    return { created, existing, warnings };
  } catch (error) {
    throw new KafkaUnavailableError(
      `could not provision topics ${topics.join(', ')}: ${describeError(error)}`,
      { cause: error },
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * Leaders are waited for afterwards, with every other topic (partitionCounts): kafkajs's own wait
 * gives up when a busy broker answers that it does not host the new topic yet.
 */
function createTopic(
  admin: Admin,
  topic: string,
  numPartitions: number,
  retentionMs: number | undefined,
): Promise<boolean> {
  const configEntries =
    retentionMs === undefined ? [] : [{ name: RETENTION, value: String(retentionMs) }];
  return admin.createTopics({
    topics: [{ topic, numPartitions, configEntries }],
    waitForLeaders: false,
  });
}

const RETENTION = 'retention.ms';
// Not among the names Node finds in kafkajs's CommonJS exports: read from its default export.
const { ConfigResourceTypes } = kafkajs;

/**
 * Gives existing topics the configured retention where theirs differs: it is what bounds how
 * long an erased person's events stay in the log, so the configuration, not the topic's past,
 * decides it. Returns the topics changed. kafkajs speaks the older AlterConfigs, which resets
 * a topic's other settings to the broker's: Rapport's topics have no other setting of their own.
 */
async function applyRetention(
  admin: Admin,
  topics: readonly string[],
  retentionMs: number | undefined,
): Promise<string[]> {
  if (retentionMs === undefined || topics.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: [RETENTION],
    })),
  });
  const differing = described.resources
    .filter((resource) =>
      resource.configEntries.some(
        (entry) => entry.configName === RETENTION && entry.configValue !== String(retentionMs),
      ),
    )
    .map((resource) => resource.resourceName);
  if (differing.length === 0) return [];
  await admin.alterConfigs({
    validateOnly: false,
    resources: differing.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configEntries: [{ name: RETENTION, value: String(retentionMs) }],
    })),
  });
  return differing;
}

/** How long a new topic (this service's or another's) may take to have a leader for each partition. */
const LEADERS_WITHIN_MS = 15_000;
const LEADERS_POLL_MS = 100;

/**
 * The partition count of the topics, once each partition has a leader. A topic just created (by
 * this service, or by another started at the same moment) is listed before its partitions have
 * leaders, and until then the broker answers that it does not host them: that is waited out.
 */
async function partitionCounts(admin: Admin, topics: readonly string[], deadline: number) {
  if (topics.length === 0) return new Map<string, number>();
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = metadata.topics.every(
        (topic) =>
          topic.partitions.length > 0 &&
          topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (led) {
        const counts = new Map(
          metadata.topics.map((topic) => [topic.name, topic.partitions.length]),
        );
        // In the order asked for (the broker answers in any order): warnings read the same each time.
        return new Map<string, number>(topics.map((topic) => [topic, counts.get(topic) ?? 0]));
      }
    } catch (error) {
      if (!isRetriable(error) || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`partitions of ${topics.join(', ')} have no leader`);
    await new Promise((resolve) => setTimeout(resolve, LEADERS_POLL_MS));
  }
}

const isRetriable = (error: unknown) =>
  typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;

/**
 * A topic created earlier with fewer partitions still works (every producer and consumer reads
 * the real count), but it caps consumer parallelism below what was configured. Raising it is an
 * operator's decision, because it moves customers to other partitions and breaks per-key order
 * across the change, so provisioning reports instead of altering the topic.
 */
export function partitionWarnings(
  counts: ReadonlyMap<string, number>,
  configured: number,
): string[] {
  return [...counts]
    .filter(([, count]) => count < configured)
    .map(
      ([topic, count]) =>
        `topic ${topic} has ${count} partition(s), fewer than the configured ${configured} ` +
        `(RAPPORT_TOPIC_PARTITIONS); consumers can use at most ${count} in parallel`,
    );
}
