import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Every setting is read from an environment variable named `RAPPORT_<NAME>`. */
export const ENV_PREFIX = 'RAPPORT_';

export type Env = Readonly<Record<string, string | undefined>>;

const port = z.coerce.number().int().min(1).max(65_535);
const commaList = z.string().transform((raw) =>
  raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0),
);
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port');
/** `channel=secret,channel=secret`: one webhook signing secret per channel. */
const channelSecrets = commaList.pipe(
  z
    .array(z.string().regex(/^[a-z0-9_-]+=.+$/, 'expected channel=secret'))
    .transform((pairs) =>
      Object.fromEntries(
        pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    ),
);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

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
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().default('rapport:'),
  TEMPORAL_ADDRESS: hostPort.optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('rapport-engagement'),
  HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(8080),
  API_PORT: port.default(8081),
  WRITE_KEYS: commaList.default([]),
  READ_KEYS: commaList.default([]),
  LOG_LEVEL: logLevel.default('info'),
  CHANNEL_SECRETS: channelSecrets.default({}),
  CHANNEL_MAPPINGS_DIR: z.string().min(1).optional(),
  SEGMENT_DEFAULT_CHANNEL: z.string().min(1).default('web'),
  DEDUP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(86_400),
  RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).default(5_000),
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  CACHE_DIR: z
    .string()
    .min(1)
    .default(join(homedir(), '.cache', 'rapport')),
  RUN_DIR: z.string().min(1).default('.rapport/run'),
  EMBEDDED_KAFKA_PORT: port.default(9092),
  EMBEDDED_KAFKA_CONTROLLER_PORT: port.default(9093),
  EMBEDDED_TEMPORAL_PORT: port.default(7233),
  EMBEDDED_TEMPORAL_UI_PORT: port.default(8233),
  EMBEDDED_REDIS_PORT: port.default(6379),
});

/**
 * The parsed configuration, grouped by what it configures. An endpoint left unset points at the
 * embedded runner's port, and `infra.*.given` records that it was unset: `rapport up` and the test
 * harness start a server only for endpoints nobody gave them.
 */
export const configSchema = envSchema.transform((env) => ({
  kafka: {
    brokers: env.KAFKA_BROKERS ?? [`127.0.0.1:${env.EMBEDDED_KAFKA_PORT}`],
    clientId: env.KAFKA_CLIENT_ID,
    topics: { interactions: env.TOPIC_INTERACTIONS, dlq: env.TOPIC_DLQ },
    partitions: env.TOPIC_PARTITIONS,
  },
  redis: {
    url: env.REDIS_URL ?? `redis://127.0.0.1:${env.EMBEDDED_REDIS_PORT}`,
    keyPrefix: env.REDIS_KEY_PREFIX,
  },
  temporal: {
    address: env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.EMBEDDED_TEMPORAL_PORT}`,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
  },
  http: { host: env.HOST, gatewayPort: env.GATEWAY_PORT, apiPort: env.API_PORT },
  auth: { writeKeys: env.WRITE_KEYS, readKeys: env.READ_KEYS },
  gateway: {
    channelSecrets: env.CHANNEL_SECRETS,
    channelMappingsDir: env.CHANNEL_MAPPINGS_DIR,
    segmentDefaultChannel: env.SEGMENT_DEFAULT_CHANNEL,
    dedupWindowSeconds: env.DEDUP_WINDOW_SECONDS,
    /** Events per second per write key, smoothed over a one-second bucket in Redis. */
    rateLimitPerSecond: env.RATE_LIMIT_PER_SECOND,
    publishTimeoutMs: env.PUBLISH_TIMEOUT_MS,
  },
  logLevel: env.LOG_LEVEL,
  infra: {
    cacheDir: resolve(env.CACHE_DIR),
    runDir: resolve(env.RUN_DIR),
    kafka: {
      given: env.KAFKA_BROKERS !== undefined,
      port: env.EMBEDDED_KAFKA_PORT,
      controllerPort: env.EMBEDDED_KAFKA_CONTROLLER_PORT,
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

export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

/** A configuration that cannot be used; raised at start-up, never later. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
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
  const given = raw[String(issue.path[0] ?? '')];
  const where = issue.path.length > 1 ? ` (item ${issue.path.slice(1).join('.')})` : '';
  return `${issue.message}${where}${given === undefined ? '' : `; got ${JSON.stringify(given)}`}`;
}
