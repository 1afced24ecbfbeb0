import kafkajs, { type Admin } from 'kafkajs';
import { internalsOf, type KafkaConfig, type RapportKafka } from './client.js';
import {
  describeError,
  KafkaError,
  KafkaTopicMismatchError,
  KafkaUnavailableError,
} from './errors.js';

export interface ProvisionedTopics {
  readonly created: string[];
  readonly existing: string[];
  /**
   * Existing topics with fewer partitions, or more replicas, than configured: usable, but worth
   * an operator's look.
   */
  readonly warnings: string[];
}

/**
 * Creates the interaction log and the dead-letter topic (both with the configured partition
 * count, replication factor and settings) unless they exist, and waits until every partition of
 * a topic it created has a leader, so the first publish after start-up does not race leader
 * election. Existing topics are checked against the configuration: fewer replicas than
 * configured stops start-up (KafkaTopicMismatchError), settings that differ are set. Safe to run
 * from every service at once: the loser of a creation race finds the topic existing. Logs what
 * it created, changed and any warning, so the services that call it need not.
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
    const missing = topics.filter((name) => !listed.has(name));
    if (missing.length > 0) await requireBrokersFor(admin, config.replicationFactor);
    const created: string[] = [];
    for (const topic of missing) {
      // One topic per call: kafkajs answers `false` only when every topic in a call existed.
      if (await createTopic(admin, topic, config)) created.push(topic);
    }
    if (created.length > 0) logger.info({ created }, `created topics ${created.join(', ')}`);
    const existing = topics.filter((topic) => !created.includes(topic));
    const layouts = await topicLayouts(admin, topics, Date.now() + LEADERS_WITHIN_MS);
    const layoutsOfExisting = new Map([...layouts].filter(([topic]) => existing.includes(topic)));
    const replicas = replicationProblems(layoutsOfExisting, config.replicationFactor);
    if (replicas.fewer.length > 0) throw new KafkaTopicMismatchError(replicas.fewer.join('; '));
    const warnings = [...partitionWarnings(layoutsOfExisting, config.partitions), ...replicas.more];
    const { partitions, replicationFactor } = config;
    for (const warning of warnings) logger.warn({ partitions, replicationFactor }, warning);
    const settings = topicSettings(config);
    const changed = await applyTopicSettings(admin, existing, settings);
    if (changed.length > 0) {
      logger.info(
        { topics: changed, settings: Object.fromEntries(settings) },
        `set ${[...settings.keys()].join(' and ')} of ${changed.join(', ')} to the configured values`,
      );
    }
    return { created, existing, warnings };
  } catch (error) {
    if (error instanceof KafkaError) throw error;
    throw new KafkaUnavailableError(
      `could not provision topics ${topics.join(', ')}: ${describeError(error)}`,
      { cause: error },
    );
  } finally {
    await admin.disconnect();
  }
}

const RETENTION = 'retention.ms';
const MIN_INSYNC = 'min.insync.replicas';

/**
 * The settings Rapport gives its topics, by name: how many copies must hold a record before it is
 * acknowledged (the producer asks for all in-sync copies: `acks=-1`), and the retention when one
 * is configured (it bounds how long an erased person's events stay in the log, so the
 * configuration, not the topic's past, decides it). Everything else is the broker's.
 */
function topicSettings(config: KafkaConfig): ReadonlyMap<string, string> {
  return new Map([
    [MIN_INSYNC, String(config.minInsyncReplicas)],
    ...(config.retentionMs === undefined ? [] : [[RETENTION, String(config.retentionMs)] as const]),
  ]);
}

/**
 * A topic of more replicas than brokers cannot be created: said here in the configuration's
 * words, not the broker's. A broker still starting or down counts as missing, and the service's
 * next start tries again.
 */
async function requireBrokersFor(admin: Admin, replicationFactor: number): Promise<void> {
  const { brokers } = await admin.describeCluster();
  if (brokers.length < replicationFactor) {
    throw new KafkaUnavailableError(
      `cannot create topics of ${replicationFactor} replicas (RAPPORT_KAFKA_REPLICATION_FACTOR) ` +
        `on ${brokers.length} live broker(s): start the missing brokers, or set the variable to at most ${brokers.length}`,
    );
  }
}

/**
 * Leaders are waited for afterwards, with every other topic (topicLayouts): kafkajs's own wait
 * gives up when a busy broker answers that it does not host the new topic yet.
 */
function createTopic(admin: Admin, topic: string, config: KafkaConfig): Promise<boolean> {
  return admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: config.partitions,
        replicationFactor: config.replicationFactor,
        configEntries: [...topicSettings(config)].map(([name, value]) => ({ name, value })),
      },
    ],
    waitForLeaders: false,
  });
}

// Not among the names Node finds in kafkajs's CommonJS exports: read from its default export.
const { ConfigResourceTypes, ConfigSource } = kafkajs;

/**
 * Gives existing topics the settings Rapport gives them where theirs differ (a changed
 * RAPPORT_KAFKA_MIN_INSYNC_REPLICAS or RAPPORT_TOPIC_RETENTION). Returns the topics changed.
 * kafkajs speaks the older AlterConfigs, which replaces all of a topic's own settings: those the
 * topic has beyond Rapport's (an operator's retention, say) are written back with them.
 */
async function applyTopicSettings(
  admin: Admin,
  topics: readonly string[],
  wanted: ReadonlyMap<string, string>,
): Promise<string[]> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
  });
  const changes = described.resources.flatMap((resource) => {
    const current = new Map(resource.configEntries.map((entry) => [entry.configName, entry]));
    if ([...wanted].every(([name, value]) => current.get(name)?.configValue === value)) return [];
    const own = resource.configEntries
      .filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG)
      .filter((entry) => !wanted.has(entry.configName))
      .map((entry) => ({ name: entry.configName, value: entry.configValue }));
    const entries = [...wanted].map(([name, value]) => ({ name, value }));
    return [{ name: resource.resourceName, configEntries: [...own, ...entries] }];
  });
  if (changes.length === 0) return [];
  await admin.alterConfigs({
    validateOnly: false,
    resources: changes.map((change) => ({ type: ConfigResourceTypes.TOPIC, ...change })),
  });
  return changes.map((change) => change.name);
}

/** How long a new topic (this service's or another's) may take to have a leader for each partition. */
const LEADERS_WITHIN_MS = 15_000;
const LEADERS_POLL_MS = 100;

/** A topic's partition count, and the fewest replicas any of its partitions has. */
export interface TopicLayout {
  readonly partitions: number;
  readonly replicas: number;
}

/**
 * The layout of the topics, once each partition has a leader. A topic just created (by this
 * service, or by another started at the same moment) is listed before its partitions have
 * leaders, and until then the broker answers that it does not host them: that is waited out.
 */
async function topicLayouts(admin: Admin, topics: readonly string[], deadline: number) {
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
      const led = metadata.topics.every(
        (topic) =>
          topic.partitions.length > 0 &&
          topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (led) {
        const layouts = new Map(
          metadata.topics.map((topic) => [
            topic.name,
            {
              partitions: topic.partitions.length,
              replicas: Math.min(...topic.partitions.map((partition) => partition.replicas.length)),
            },
          ]),
        );
        // In the order asked for (the broker answers in any order): warnings read the same each time.
        return new Map<string, TopicLayout>(
          topics.map((topic) => [topic, layouts.get(topic) ?? { partitions: 0, replicas: 0 }]),
        );
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
  layouts: ReadonlyMap<string, TopicLayout>,
  configured: number,
): string[] {
  return [...layouts]
    .filter(([, { partitions }]) => partitions < configured)
    .map(
      ([topic, { partitions: count }]) =>
        `topic ${topic} has ${count} partition(s), fewer than the configured ${configured} ` +
        `(RAPPORT_TOPIC_PARTITIONS); consumers can use at most ${count} in parallel`,
    );
}

/**
 * An existing topic's replication factor against the configured one. Kafka cannot add copies to
 * a topic in place (a partition reassignment can), so a topic with fewer is refused at start-up,
 * naming both ways out; one with more is safer than asked for and only reported.
 */
export function replicationProblems(
  layouts: ReadonlyMap<string, TopicLayout>,
  configured: number,
): { readonly fewer: string[]; readonly more: string[] } {
  const fewer: string[] = [];
  const more: string[] = [];
  for (const [topic, { replicas }] of layouts) {
    if (replicas < configured) {
      fewer.push(
        `topic ${topic} has ${replicas} replica(s) per partition, fewer than the configured ` +
          `${configured} (RAPPORT_KAFKA_REPLICATION_FACTOR), and Kafka cannot add replicas to a ` +
          `topic in place: reassign its partitions to ${configured} brokers ` +
          `(kafka-reassign-partitions.sh), or set RAPPORT_KAFKA_REPLICATION_FACTOR=${replicas} ` +
          `to run with what it has`,
      );
    } else if (replicas > configured) {
      more.push(
        `topic ${topic} has ${replicas} replica(s) per partition, more than the configured ` +
          `${configured} (RAPPORT_KAFKA_REPLICATION_FACTOR); it is used as it is`,
      );
    }
  }
  return { fewer, more };
}
