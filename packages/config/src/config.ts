import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { commaList, hostPort, nameAndValue } from './lists.js';
import { CodedError } from '@rapport/schema';
import {
  connectionEnvSchema,
  kafkaConnection,
  redisConnection,
  requireConsistentConnections,
  temporalConnection,
} from './connections.js';
import { destinationEnvSchema, destinationSettings, requireEmailSettings } from './destinations.js';
import { WebhookUrlSchema } from './webhook-url.js';

/** Every setting is read from an environment variable named `RAPPORT_<NAME>`. */
export const ENV_PREFIX = 'RAPPORT_';

export type Env = Readonly<Record<string, string | undefined>>;

const port = z.coerce.number().int().min(1).max(65_535);
/** `channel=value,channel=value` as [channel, value] pairs, in order. */
const channelPairs = (expected: string) =>
  commaList.pipe(
    z
      .array(z.string().regex(/^[a-z0-9_-]+=.+$/, `expected channel=${expected}`))
      .transform((pairs) => pairs.map(nameAndValue)),
  );
/**
 * Who may call an HTTP route: `write` keys ingest (they sit in browsers and apps), `read` keys see
 * customer data, `admin` keys operate the service (metrics, readiness details, and later erase
 * and replay). The classes never overlap: a key of one class is refused everywhere else.
 */
export const KEY_CLASSES = ['write', 'read', 'admin'] as const;
export type KeyClass = (typeof KEY_CLASSES)[number];
/** Each class's variable, without the `RAPPORT_` prefix. */
export const KEY_VARIABLES = {
  write: 'WRITE_KEYS',
  read: 'READ_KEYS',
  admin: 'ADMIN_KEYS',
} as const satisfies Record<KeyClass, string>;

/** Shorter keys are guessable; the dev keys `rapport up` prints are the shortest accepted. */
export const MIN_KEY_LENGTH = 12;
/** Comma-separated API keys: printable ASCII without spaces, so `Authorization` carries them. */
const apiKeys = commaList.pipe(
  z.array(
    z
      .string()
      .min(MIN_KEY_LENGTH, `each key needs at least ${MIN_KEY_LENGTH} characters`)
      .regex(/^[\x21-\x7e]+$/, 'keys are printable ASCII without spaces'),
  ),
);
/** `channel=secret,channel=secret`: one webhook signing secret per channel. */
const channelSecrets = channelPairs('secret').transform((pairs) => Object.fromEntries(pairs));
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const DURATION_UNITS_MS = new Map([
  ['ms', 1],
  ['s', 1_000],
  ['m', 60_000],
  ['h', 3_600_000],
  ['d', 86_400_000],
]);
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
/** A duration such as `500ms`, `45s`, `15m`, `8h` or `14d`, parsed to milliseconds. */
export const DurationSchema = z
  .string()
  .regex(DURATION, 'expected a duration such as "15m", "8h" or "14d"')
  .transform((text) => {
    const [, amount = '', unit = ''] = DURATION.exec(text) ?? [];
    return Math.round(Number(amount) * (DURATION_UNITS_MS.get(unit) ?? Number.NaN));
  });
/** `default=24h,chat=15m`: a response deadline per channel, `default` for the others. */
const channelDurations = channelPairs('duration')
  .pipe(z.array(z.tuple([z.string(), DurationSchema])))
  .transform((pairs) => {
    const { default: defaultMs = 86_400_000, ...byChannel } = Object.fromEntries(pairs);
    return { defaultMs, byChannel };
  });
const share = z.coerce.number().gt(0).lt(1);
/** Worker processes of a service that can use every core: `auto` (one per core) or a count. */
const processes = z
  .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)])
  .default('auto')
  .transform((count) => (count === 'auto' ? availableParallelism() : count));

/**
 * The most index shards: past a Cluster's masters more shards spread nothing, and every list
 * page, summary and stream reader visits each shard (a stream id carries a position per shard).
 */
export const MAX_INDEX_SHARDS = 64;

/** The most brokers the native runner starts as one cluster (each a JVM: memory is the limit). */
export const MAX_EMBEDDED_KAFKA_BROKERS = 5;

type EmbeddedKafkaEnv = {
  EMBEDDED_KAFKA_PORT: number;
  EMBEDDED_KAFKA_CONTROLLER_PORT: number;
  EMBEDDED_KAFKA_BROKERS: number;
};

/**
 * The native runner's brokers: node n + 1 listens on each port + 2n, so that the defaults
 * interleave (9092 and 9093, 9094 and 9095, 9096 and 9097).
 */
const embeddedKafkaNodes = (env: EmbeddedKafkaEnv) =>
  Array.from({ length: env.EMBEDDED_KAFKA_BROKERS }, (_, n) => ({
    nodeId: n + 1,
    port: env.EMBEDDED_KAFKA_PORT + 2 * n,
    controllerPort: env.EMBEDDED_KAFKA_CONTROLLER_PORT + 2 * n,
  }));

/**
 * The settings, keyed by environment variable name without the prefix. Defaults point at the
 * local services that `rapport up` starts, so a fresh checkout runs with no configuration.
 */
const envSchema = z.object({
  KAFKA_BROKERS: commaList.pipe(z.array(hostPort).min(1)).optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('rapport'),
  TOPIC_INTERACTIONS: z.string().min(1).default('rapport.interactions.v1'),
  TOPIC_DLQ: z.string().min(1).default('rapport.interactions.dlq.v1'),
  TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(10_000).default(12),
  /**
   * How long the log (and the dead-letter topic) keeps records: set at provisioning, and applied
   * to existing topics that differ. `forever` keeps everything; unset leaves the broker's default
   * (7 days unless its operator changed it). It bounds how long an erased person's events remain
   * in the log (docs/identity.md), and how far back `rapport replay` can rebuild.
   */
  TOPIC_RETENTION: z.union([z.literal('forever'), DurationSchema]).optional(),
  /**
   * Copies of each partition the topics are created with, and how many of them must have a
   * record before the broker acknowledges it (the producer asks for all in-sync copies). Unset:
   * see `replication` below. The replication factor of an existing topic cannot be changed in
   * place, so start-up stops on one with fewer copies; `min.insync.replicas` is set on it.
   */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(32).optional(),
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).max(32).optional(),
  KAFKA_SESSION_TIMEOUT: DurationSchema.pipe(
    z
      .number()
      .min(6_000, 'at least 6s (the broker refuses shorter sessions)')
      .max(300_000, 'at most 5m'),
  ).prefault('10s'),
  /** Unset: a third of the session, at most 3 s (kafkajs's and the Java client's default). */
  KAFKA_HEARTBEAT_INTERVAL: DurationSchema.pipe(
    z.number().min(100, 'at least 100ms (each heartbeat is a request to the broker)'),
  ).optional(),
  /**
   * Failed attempts at a batch before a consumer asks whether its environment answers, and then
   * at each record alone before one that still fails with the environment answering is
   * dead-lettered (docs/ingestion.md, "After the log: records a consumer cannot handle").
   */
  POISON_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** How long a partition's records may wait without it advancing before /readyz says so. */
  STALL_AFTER: DurationSchema.pipe(z.number().min(1_000, 'at least 1s')).prefault('60s'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().default('rapport:'),
  /**
   * Hash slots the read model's global indexes (schedule, at_risk, dormant, the change stream)
   * are spread over, so that on a Redis Cluster their writes are several shards' load instead of
   * one's. A generation keeps the count it was built with: a new count takes effect with the
   * next `rapport replay` (docs/read-side.md §1).
   */
  REDIS_INDEX_SHARDS: z.coerce
    .number()
    .int('expected a whole number')
    .min(1, 'at least 1')
    .max(MAX_INDEX_SHARDS, `at most ${MAX_INDEX_SHARDS}`)
    .default(1),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('rapport-engagement'),
  /** TLS and credentials of the connections to Kafka, Redis and Temporal (connections.ts). */
  ...connectionEnvSchema.shape,
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(8080),
  API_PORT: port.default(8081),
  WRITE_KEYS: apiKeys.default([]),
  READ_KEYS: apiKeys.default([]),
  ADMIN_KEYS: apiKeys.default([]),
  HTTP_REQUEST_TIMEOUT: DurationSchema.prefault('20s'),
  CLIENT_SOURCES: commaList
    .pipe(z.array(z.string().regex(/^[a-z0-9]+(?:[-_][a-z0-9]+)*$/, 'expected lowercase slugs')))
    .prefault('cli,csv,demo,dlq-replay'),
  LOG_LEVEL: logLevel.default('info'),
  CHANNEL_SECRETS: channelSecrets.default({}),
  CHANNEL_MAPPINGS_DIR: z.string().min(1).optional(),
  CHANNELS_FILE: z.string().min(1).optional(),
  SEGMENT_DEFAULT_CHANNEL: z.string().min(1).default('web'),
  DEDUP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(86_400),
  /**
   * The key of the suppression list's keyed hashes (docs/identity.md): erased ids are kept only
   * as HMACs under it. The default is public: set your own in production, once (a new key
   * forgets every erasure made under the old one).
   */
  ERASURE_KEY: z
    .string()
    .min(16, 'at least 16 characters')
    .default('rapport-development-erasure-key'),
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).default(5_000),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  GATEWAY_PROCESSES: processes,
  CACHE_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.cache', 'rapport')),
  RUN_DIR: z.string().min(1).default('.rapport/run'),
  SERVICES_FROM: z.enum(['src', 'dist']).default('src'),
  EMBEDDED_KAFKA_PORT: port.default(9092),
  EMBEDDED_KAFKA_CONTROLLER_PORT: port.default(9093),
  /** Brokers of the native runner's cluster: broker n (from 0) listens on each port + 2n. */
  EMBEDDED_KAFKA_BROKERS: z.coerce.number().int().min(1).max(MAX_EMBEDDED_KAFKA_BROKERS).default(1),
  EMBEDDED_TEMPORAL_PORT: port.default(7233),
  EMBEDDED_TEMPORAL_UI_PORT: port.default(8233),
  EMBEDDED_REDIS_PORT: port.default(6379),
  BRIDGE_PORT: port.default(8083),
  BRIDGE_GROUP_ID: z.string().min(1).default('rapport-bridge'),
  BRIDGE_SIGNAL_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(64),
  WORKER_PORT: port.default(8084),
  PLAYBOOKS_FILE: z.string().min(1).optional(),
  MODEL_FILE: z.string().min(1).optional(),
  WORKFLOW_BUNDLE: z.string().min(1).optional(),
  /**
   * Workflows a worker keeps in memory between their tasks (Temporal's `maxCachedWorkflows`);
   * 0 turns the cache off; unset, the worker sizes it from its heap (services/worker cache.ts).
   * A workflow not in the cache replays its whole history for its next task. 0 is for checking
   * determinism, not production: a run's first task then often waits out its timeout
   * (docs/workflows.md, the worker's cache).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int('expected a whole number')
    .min(0)
    .refine((count) => count !== 1, 'expected 0 (no cache) or at least 2')
    .optional(),
  FOLLOWUP_WEBHOOK_URL: WebhookUrlSchema.optional(),
  FOLLOWUP_WEBHOOK_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  /** Slack, email and the dashboard link of follow-up notifications (destinations.ts). */
  ...destinationEnvSchema.shape,
  SLA: channelDurations.prefault('default=24h,chat=15m,social=4h,support=8h'),
  DROP_THRESHOLD: z.coerce.number().gt(0).lt(100).optional(),
  PEAK_SHARE: share.default(0.5),
  PEAK_WINDOW: DurationSchema.prefault('30d'),
  ONBOARDING_SILENCE: DurationSchema.prefault('7d'),
  TRUST_BREACH_BELOW: share.default(0.5),
  FOLLOWUP_COOLDOWN: DurationSchema.prefault('14d'),
  ALLOWED_LATENESS: DurationSchema.prefault('1m'),
  PROJECTOR_PORT: port.default(8082),
  PROJECTOR_GROUP_ID: z.string().min(1).default('rapport-projector'),
  PROJECTOR_CACHE_SIZE: z.coerce.number().int().min(0).default(200_000),
  PROJECTOR_PROCESSES: processes,
  /**
   * The history and timeline kept per customer, in one field that every write of the customer
   * reads and writes whole inside Redis (`LOGS` in the read model's scripts.ts): about 14 B a
   * point and 34 B an event, so a write's cost grows with them (docs/read-side.md §1). At the
   * maxima the field is about 50 KB.
   */
  HISTORY_LENGTH: z.coerce.number().int().min(1).max(1_000).default(50),
  TIMELINE_LENGTH: z.coerce.number().int().min(1).max(1_000).default(20),
  /**
   * Changes kept in each shard's stream, at least (`MAXLEN ~` drops whole nodes, never going
   * below it). A resuming SSE client is sent the newest 1,000 at most (the API's CATCH_UP_LIMIT),
   * so from 1,000 on a longer stream answers no resume differently. What more buys is headroom
   * for the API's live readers, which read each shard from their own position: one that falls
   * further behind than this (a stall, the 1 s retry after a failed read, a burst of ~18k
   * changes/s) tells every client of a gap. 2,000 costs a few bytes per customer, where 100,000
   * took 300 at 100,000 customers (docs/read-side.md §6).
   */
  CHANGE_STREAM_LENGTH: z.coerce.number().int().min(1_000).default(2_000),
  SSE_HEARTBEAT: DurationSchema.prefault('15s'),
  SSE_MAX_STREAMS: z.coerce.number().int().min(1).default(1_000),
  SSE_MAX_STREAMS_PER_KEY: z.coerce.number().int().min(1).default(32),
});

/**
 * The parsed configuration, grouped by what it configures. An endpoint left unset points at the
 * embedded runner's port, and `infra.*.given` records that it was unset: `rapport up` and the test
 * harness start a server only for endpoints nobody gave them.
 */
export const configSchema = envSchema
  .superRefine(requireWebhookSecret)
  .superRefine(requireEmailSettings)
  .superRefine(requireDistinctKeys)
  .superRefine(requireConsistentConnections)
  .superRefine(requireHeartbeatWithinSession)
  .superRefine(requireReachableInsync)
  .superRefine(requireDistinctKafkaPorts)
  .transform((env) => ({
    kafka: {
      brokers: env.KAFKA_BROKERS ?? embeddedKafkaNodes(env).map(({ port }) => `127.0.0.1:${port}`),
      clientId: env.KAFKA_CLIENT_ID,
      topics: { interactions: env.TOPIC_INTERACTIONS, dlq: env.TOPIC_DLQ },
      partitions: env.TOPIC_PARTITIONS,
      /** retention.ms of the topics: -1 for `forever`, undefined for the broker's default. */
      retentionMs: env.TOPIC_RETENTION === 'forever' ? -1 : env.TOPIC_RETENTION,
      ...replication(env),
      /**
       * How long a consumer-group member may go unheard before its partitions go to the others:
       * also how long a killed process's partitions wait. Shorter fails over sooner; too short
       * and a process that stalls (a long pause of its event loop) loses its partitions. Members
       * heartbeat while they work and while a failing batch backs off, so work does not count.
       */
      sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT,
      /**
       * How often a member tells the group it is alive, also while a failing batch backs off;
       * at most a third of the session, so that one lost heartbeat does not cost the partitions.
       */
      heartbeatIntervalMs:
        env.KAFKA_HEARTBEAT_INTERVAL ?? defaultHeartbeat(env.KAFKA_SESSION_TIMEOUT),
      /**
       * A failing batch's attempts before its consumer probes its environment (Redis, Temporal)
       * and, if that answers, handles the records one at a time; and each record's attempts
       * alone before it is dead-lettered, so that no record holds its partition forever.
       */
      poisonAttempts: env.POISON_ATTEMPTS,
      /** Records waiting this long on a partition that does not advance make /readyz fail. */
      stallAfterMs: env.STALL_AFTER,
      ...kafkaConnection(env),
    },
    /** Identity links and erasure (packages/identity). */
    identity: { erasureKey: env.ERASURE_KEY },
    redis: {
      url: env.REDIS_URL ?? `redis://127.0.0.1:${env.EMBEDDED_REDIS_PORT}`,
      keyPrefix: env.REDIS_KEY_PREFIX,
      ...redisConnection(env),
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.EMBEDDED_TEMPORAL_PORT}`,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      ...temporalConnection(env),
    },
    http: {
      host: env.HOST,
      gatewayPort: env.GATEWAY_PORT,
      apiPort: env.API_PORT,
      /** Time to receive a whole request; a body trickled in slower is cut with a 408. */
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT,
    },
    /** API keys by class, as the HTTP shell's key ring takes them. */
    auth: { write: env.WRITE_KEYS, read: env.READ_KEYS, admin: env.ADMIN_KEYS },
    gateway: {
      channelSecrets: env.CHANNEL_SECRETS,
      channelMappingsDir: env.CHANNEL_MAPPINGS_DIR,
      /**
       * The channels file (YAML or JSON): provider channels with their secrets, read and checked
       * at start-up by `loadChannels` in @rapport/adapters/node. The path is no secret; the file is.
       */
      channelsFile: env.CHANNELS_FILE,
      segmentDefaultChannel: env.SEGMENT_DEFAULT_CHANNEL,
      dedupWindowSeconds: env.DEDUP_WINDOW_SECONDS,
      /** Events per second per write key, smoothed over a one-second bucket in Redis. */
      rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
      publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
      /** Names a client may give in `x-rapport-source` (stamped `http:<name>`); others are refused. */
      clientSources: env.CLIENT_SOURCES,
      /**
       * Worker processes sharing the gateway's port (`auto`: one per core). Parsing, validation
       * and Kafka encoding are CPU-bound, so one process leaves the other cores idle.
       */
      processes: env.GATEWAY_PROCESSES,
    },
    bridge: {
      port: env.BRIDGE_PORT,
      groupId: env.BRIDGE_GROUP_ID,
      /** signalWithStart calls in flight at once, across the customers of the batches in hand. */
      signalConcurrency: env.BRIDGE_SIGNAL_CONCURRENCY,
    },
    worker: {
      port: env.WORKER_PORT,
      /** The follow-up playbooks (YAML); the default set in workflows/playbooks when unset. */
      playbooksFile: env.PLAYBOOKS_FILE,
      /** A workflow bundle built ahead of time (`pnpm build` writes services/worker/dist/). */
      workflowBundle: env.WORKFLOW_BUNDLE,
      /** Unset: sized from the worker's heap. */
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      /** Where notify steps without a URL of their own post, and the key that signs every post. */
      webhook: { url: env.FOLLOWUP_WEBHOOK_URL, secret: env.FOLLOWUP_WEBHOOK_SECRET },
      /** Where steps that name `slack:<name>` or `email:<name>` go, and what messages link to. */
      destinations: destinationSettings(env),
    },
    /** The engagement model's parameters (YAML or JSON; see loadModelParams); defaults when unset. */
    model: { file: env.MODEL_FILE },
    /** What the customer workflow watches for; durations in milliseconds. */
    engagement: {
      sla: env.SLA,
      /** Engagement (0–100) whose predicted crossing is a drop; the model's at-risk band if unset. */
      dropThreshold: env.DROP_THRESHOLD,
      relativeDrop: { share: env.PEAK_SHARE, windowMs: env.PEAK_WINDOW },
      onboardingSilenceMs: env.ONBOARDING_SILENCE,
      trustBreachBelow: env.TRUST_BREACH_BELOW,
      followUpCooldownMs: env.FOLLOWUP_COOLDOWN,
      /**
       * How late an event may arrive and still be judged in its place: verdicts, drops and
       * follow-ups are decided this long after their instant (docs/workflows.md §2).
       */
      allowedLatenessMs: env.ALLOWED_LATENESS,
    },
    projector: {
      /** Its `/healthz`, `/readyz` and `/metrics` listener; it serves nothing else. */
      port: env.PROJECTOR_PORT,
      groupId: env.PROJECTOR_GROUP_ID,
      /** Customers whose last write the projector keeps in memory, encoded (LRU; 0 = none). */
      cacheSize: env.PROJECTOR_CACHE_SIZE,
      /**
       * Worker processes, each consuming its share of the partitions (`auto`: one per core).
       * Projection is CPU-bound in the projector, so one process leaves the other cores idle.
       */
      processes: env.PROJECTOR_PROCESSES,
    },
    /** The Redis read model's capped parts; the per-customer state itself is bounded by the model. */
    readModel: {
      /** Snapshots kept per customer for charts. */
      historyLength: env.HISTORY_LENGTH,
      /** Recent events kept per customer. */
      timelineLength: env.TIMELINE_LENGTH,
      /** State changes kept in the change stream (approximately: trimmed with `MAXLEN ~`). */
      changeStreamLength: env.CHANGE_STREAM_LENGTH,
      /** Index shards of the generations built from now on (a generation keeps its own count). */
      indexShards: env.REDIS_INDEX_SHARDS,
    },
    api: {
      /** Comment lines on idle Server-Sent Events connections, so proxies do not close them. */
      sseHeartbeatMs: env.SSE_HEARTBEAT,
      /** Server-Sent Events connections open at once, in all and per key; past them, 429. */
      maxStreams: env.SSE_MAX_STREAMS,
      maxStreamsPerKey: env.SSE_MAX_STREAMS_PER_KEY,
    },
    logLevel: env.LOG_LEVEL,
    infra: {
      cacheDir: resolve(env.CACHE_DIR),
      runDir: resolve(env.RUN_DIR),
      /** How `rapport up` runs the services: TypeScript through tsx, or compiled by `pnpm build`. */
      servicesFrom: env.SERVICES_FROM,
      kafka: {
        given: env.KAFKA_BROKERS !== undefined,
        port: env.EMBEDDED_KAFKA_PORT,
        controllerPort: env.EMBEDDED_KAFKA_CONTROLLER_PORT,
        nodes: embeddedKafkaNodes(env),
      },
      temporal: {
        given: env.TEMPORAL_ADDRESS !== undefined,
        port: env.EMBEDDED_TEMPORAL_PORT,
        uiPort: env.EMBEDDED_TEMPORAL_UI_PORT,
      },
      redis: { given: env.REDIS_URL !== undefined, port: env.EMBEDDED_REDIS_PORT },
    },
  }));

export type Config = z.output<typeof configSchema>;

/** Follow-up webhooks are signed, so a URL without a secret would send unsigned requests. */
function requireWebhookSecret(
  env: { FOLLOWUP_WEBHOOK_URL?: string | undefined; FOLLOWUP_WEBHOOK_SECRET?: string | undefined },
  context: z.core.$RefinementCtx,
): void {
  if (env.FOLLOWUP_WEBHOOK_URL !== undefined && env.FOLLOWUP_WEBHOOK_SECRET === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['FOLLOWUP_WEBHOOK_SECRET'],
      message: 'required when RAPPORT_FOLLOWUP_WEBHOOK_URL is set (requests are signed with it)',
    });
  }
}

/** Kafka's advice: heartbeat at least three times a session, so one late beat is not fatal. */
const HEARTBEATS_PER_SESSION = 3;
const defaultHeartbeat = (sessionMs: number) =>
  Math.min(3_000, Math.floor(sessionMs / HEARTBEATS_PER_SESSION));

/** A heartbeat interval the session cannot fit three times would evict live members. */
function requireHeartbeatWithinSession(
  env: { KAFKA_SESSION_TIMEOUT: number; KAFKA_HEARTBEAT_INTERVAL?: number | undefined },
  context: z.core.$RefinementCtx,
): void {
  const most = Math.floor(env.KAFKA_SESSION_TIMEOUT / HEARTBEATS_PER_SESSION);
  if (env.KAFKA_HEARTBEAT_INTERVAL !== undefined && env.KAFKA_HEARTBEAT_INTERVAL > most) {
    context.addIssue({
      code: 'custom',
      path: ['KAFKA_HEARTBEAT_INTERVAL'],
      message: `at most a third of RAPPORT_KAFKA_SESSION_TIMEOUT (${most}ms)`,
    });
  }
}

type ReplicationEnv = {
  KAFKA_BROKERS?: string[] | undefined;
  EMBEDDED_KAFKA_BROKERS: number;
  KAFKA_REPLICATION_FACTOR?: number | undefined;
  KAFKA_MIN_INSYNC_REPLICAS?: number | undefined;
};

/**
 * Kafka's usual production setting, three copies and two in sync, on a cluster of three or more;
 * on fewer brokers as many copies as there are, all but one in sync (1/1 on one broker, 2/1 on
 * two). The brokers counted are those listed in RAPPORT_KAFKA_BROKERS (or embedded): a larger
 * cluster reached through fewer bootstrap addresses needs the factor set.
 */
function replication(env: ReplicationEnv) {
  const brokers = env.KAFKA_BROKERS?.length ?? env.EMBEDDED_KAFKA_BROKERS;
  const replicationFactor = env.KAFKA_REPLICATION_FACTOR ?? Math.min(3, brokers);
  return {
    replicationFactor,
    minInsyncReplicas: env.KAFKA_MIN_INSYNC_REPLICAS ?? Math.max(1, replicationFactor - 1),
  };
}

/** More in-sync copies than copies, and the broker refuses every write. */
function requireReachableInsync(env: ReplicationEnv, context: z.core.$RefinementCtx): void {
  const { replicationFactor, minInsyncReplicas } = replication(env);
  if (minInsyncReplicas > replicationFactor) {
    context.addIssue({
      code: 'custom',
      path: ['KAFKA_MIN_INSYNC_REPLICAS'],
      message: `at most the replication factor (${replicationFactor}, RAPPORT_KAFKA_REPLICATION_FACTOR), or every write is refused`,
    });
  }
}

/** Two embedded brokers' listeners on one port: the second would not start. */
function requireDistinctKafkaPorts(env: EmbeddedKafkaEnv, context: z.core.$RefinementCtx): void {
  const ports = embeddedKafkaNodes(env).flatMap(({ port, controllerPort }) => [
    port,
    controllerPort,
  ]);
  if (new Set(ports).size < ports.length) {
    context.addIssue({
      code: 'custom',
      path: ['EMBEDDED_KAFKA_CONTROLLER_PORT'],
      message: `the brokers' ports overlap (broker n takes RAPPORT_EMBEDDED_KAFKA_PORT + 2n and this + 2n); pick ports an odd number apart, or ${2 * env.EMBEDDED_KAFKA_BROKERS} or more`,
    });
  }
}

/** One key in two classes would make a read key able to write, or the reverse. */
function requireDistinctKeys(
  env: { WRITE_KEYS: string[]; READ_KEYS: string[]; ADMIN_KEYS: string[] },
  context: z.core.$RefinementCtx,
): void {
  const classes = KEY_CLASSES.map((keyClass) => KEY_VARIABLES[keyClass]);
  for (const [index, name] of classes.entries()) {
    for (const otherName of classes.slice(index + 1)) {
      if (env[name].some((key) => env[otherName].includes(key))) {
        context.addIssue({
          code: 'custom',
          path: [otherName],
          message: `a key of RAPPORT_${name} is also listed here; each key belongs to one class`,
        });
      }
    }
  }
}

/**
 * Variables whose values are never quoted back, in errors or anywhere else: keys, secrets, and
 * URLs that can carry a password or a token.
 */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  ...Object.values(KEY_VARIABLES),
  'CHANNEL_SECRETS',
  'ERASURE_KEY',
  'FOLLOWUP_WEBHOOK_URL',
  'FOLLOWUP_WEBHOOK_SECRET',
  'SLACK_WEBHOOKS',
  'SMTP_URL',
  'REDIS_URL',
  'KAFKA_SASL_PASSWORD',
  'TEMPORAL_API_KEY',
]);

export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

/** A configuration that cannot be used; raised at start-up, never later. */
export class ConfigError extends CodedError<'CONFIG_INVALID'> {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      'CONFIG_INVALID',
      `Invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`,
    );
  }
}

/**
 * Parses the configuration once from the environment. Empty variables count as unset so that
 * `RAPPORT_X=` in a shell or compose file falls back to the default instead of failing.
 */
export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[ENV_PREFIX + key];
    if (value !== undefined && value.trim() !== '') raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => ({
      variable: ENV_PREFIX + String(issue.path[0] ?? ''),
      message: describeIssue(issue, raw),
    })),
  );
}

function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, string>): string {
  const variable = String(issue.path[0] ?? '');
  const given = raw[variable];
  const where = issue.path.length > 1 ? ` (item ${issue.path.slice(1).join('.')})` : '';
  if (given === undefined) return `${issue.message}${where}`;
  const shown = SECRET_VARIABLES.has(variable) ? '(value hidden)' : JSON.stringify(given);
  return `${issue.message}${where}; got ${shown}`;
}
