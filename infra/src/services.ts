import { randomBytes } from 'node:crypto';
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskPassword, type Config } from '@rapport/config';
import { run } from './exec.js';
import { ensureRedisServer, fetchKafka, fetchTemporal } from './fetch.js';
import { probeKafka, probeRedis, probeTemporal } from './probes.js';
import { spawnDetached, type ProcessRecord } from './process.js';

/**
 * `dev` keeps data across restarts and serves the Temporal Web UI (what `rapport up` wants);
 * `test` starts from empty folders with settings that make a test run fast.
 */
export type Profile = 'dev' | 'test';

export type ServiceName = 'kafka' | 'temporal' | 'redis';

/** A server process the runners start, health-check, record and stop: infrastructure or a service. */
export interface ManagedProcess {
  readonly name: string;
  readonly label: string;
  endpoint(config: Config): string;
  /** Where a launched process listens: checked for a real listener before `probe` runs. */
  address(config: Config): { readonly host: string; readonly port: number };
  probe(config: Config, timeoutMs: number): Promise<void>;
  /** Fetches what is missing (cached) and starts the server; does not wait for it. */
  launch(config: Config, profile: Profile): Promise<ProcessRecord>;
  /** How long a cold start may take on these 2-core machines before it counts as failed. */
  readonly startTimeoutMs: number;
}

export interface InfraService extends ManagedProcess {
  readonly name: ServiceName;
  /** The variable that, when set, points Rapport at an existing server instead. */
  readonly endpointVariable: string;
}

/** The embedded servers listen on loopback only. */
const LOOPBACK = '127.0.0.1';

const infraRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

async function freshDir(dir: string, profile: Profile): Promise<string> {
  if (profile === 'test') await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const properties = (entries: Record<string, string | number | boolean>) =>
  `${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;

/**
 * What a broker gets on top of the runner's own settings: server properties that add to or
 * replace them (listeners, SASL), and arguments of the storage format (SCRAM users: KRaft keeps
 * them in its metadata log, which the format writes first).
 */
export interface KafkaBrokerOptions {
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  readonly formatArgs?: readonly string[];
}

/** Kafka in KRaft combined mode from the cached jars; `rapport up` runs it with no options. */
export function kafkaBroker(options: KafkaBrokerOptions = {}): InfraService {
  const broker: InfraService = {
    name: 'kafka',
    label: 'Kafka',
    endpointVariable: 'RAPPORT_KAFKA_BROKERS',
    endpoint: (config) => config.kafka.brokers.join(','),
    address: (config) => ({ host: LOOPBACK, port: config.infra.kafka.port }),
    probe: (config, timeoutMs) => probeKafka(config.kafka, timeoutMs),
    startTimeoutMs: 90_000,
    async launch(config, profile) {
      const { port, controllerPort } = config.infra.kafka;
      const libs = await fetchKafka(config.infra.cacheDir);
      const dir = await freshDir(join(config.infra.runDir, 'kafka'), profile);
      const dataDir = join(dir, 'data');
      const serverProperties = join(dir, 'server.properties');
      await writeFile(
        serverProperties,
        properties({
          'process.roles': 'broker,controller',
          'node.id': 1,
          'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
          listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
          'controller.listener.names': 'CONTROLLER',
          'inter.broker.listener.name': 'PLAINTEXT',
          'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          'log.dirs': dataDir,
          'offsets.topic.replication.factor': 1,
          'transaction.state.log.replication.factor': 1,
          'transaction.state.log.min.isr': 1,
          // One node: a 50-partition offsets topic and a 3 s first-join delay only slow start-up.
          'offsets.topic.num.partitions': 1,
          'group.initial.rebalance.delay.ms': 0,
          // Topics are provisioned explicitly with the configured partition count.
          'auto.create.topics.enable': false,
          ...options.properties,
        }),
      );
      const java = [
        '-cp',
        `${libs}/*`,
        `-Dlog4j.configuration=file:${join(infraRoot, 'kafka', 'log4j.properties')}`,
      ];
      if (!(await exists(join(dataDir, 'meta.properties')))) {
        // `=` form: a base64url id may begin with '-', which the tool's parser takes for an option.
        const clusterId = randomBytes(16).toString('base64url');
        await run('java', [
          ...java,
          'kafka.tools.StorageTool',
          'format',
          `--cluster-id=${clusterId}`,
          '-c',
          serverProperties,
          '--ignore-formatted',
          ...(options.formatArgs ?? []),
        ]);
      }
      return spawnDetached({
        name: 'kafka',
        command: 'java',
        args: [...KAFKA_JVM_OPTIONS, ...java, 'kafka.Kafka', serverProperties],
        runDir: config.infra.runDir,
        marker: serverProperties,
        endpoint: broker.endpoint(config),
      });
    },
  };
  return broker;
}

export const kafka = kafkaBroker();

/**
 * What kafka-server-start.sh passes the broker (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS), but a
 * 512 MB starting heap. Without them the JVM's G1 aims at its default 200 ms pauses, and its
 * young collections under load showed up in every producer's tail latency (docs/performance.md).
 */
const KAFKA_JVM_OPTIONS = [
  '-Xms512m',
  '-Xmx1g',
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];

export const temporal: InfraService = {
  name: 'temporal',
  label: 'Temporal',
  endpointVariable: 'RAPPORT_TEMPORAL_ADDRESS',
  endpoint: (config) => config.temporal.address,
  address: (config) => ({ host: LOOPBACK, port: config.infra.temporal.port }),
  probe: (config, timeoutMs) => probeTemporal(config.temporal, timeoutMs),
  startTimeoutMs: 60_000,
  async launch(config, profile) {
    const { port, uiPort } = config.infra.temporal;
    const { cli } = await fetchTemporal(config.infra.cacheDir);
    const dir = await freshDir(join(config.infra.runDir, 'temporal'), profile);
    const profileArgs =
      profile === 'dev'
        ? [
            '--ui-port',
            String(uiPort),
            '--ui-ip',
            '127.0.0.1',
            '--db-filename',
            join(dir, 'temporal.db'),
          ]
        : ['--headless'];
    return spawnDetached({
      name: 'temporal',
      command: cli,
      args: [
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        // Explicit so two servers (a dev run and a test run) never race for a derived port.
        '--http-port',
        String(port + 1),
        '--metrics-port',
        '0',
        '--log-level',
        'warn',
        '--dynamic-config-value',
        'frontend.enableServerVersionCheck=false',
        ...profileArgs,
      ],
      runDir: config.infra.runDir,
      marker: 'start-dev',
      endpoint: temporal.endpoint(config),
    });
  },
};

export const redis: InfraService = {
  name: 'redis',
  label: 'Redis',
  endpointVariable: 'RAPPORT_REDIS_URL',
  // Shown by `rapport up` and `status` and in errors: an ACL user's password stays out of them.
  endpoint: (config) => maskPassword(config.redis.url),
  address: (config) => ({ host: LOOPBACK, port: config.infra.redis.port }),
  probe: (config, timeoutMs) => probeRedis(config.redis, timeoutMs),
  startTimeoutMs: 15_000,
  async launch(config, profile) {
    const { port } = config.infra.redis;
    const server = await ensureRedisServer();
    const dir = await freshDir(join(config.infra.runDir, 'redis'), profile);
    const persistence = profile === 'dev' ? ['--appendonly', 'yes'] : ['--appendonly', 'no'];
    return spawnDetached({
      name: 'redis',
      command: server,
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        ...persistence,
        '--dir',
        dir,
      ],
      runDir: config.infra.runDir,
      marker: 'redis-server',
      endpoint: redis.endpoint(config),
    });
  },
};

export const infraServices: readonly InfraService[] = [kafka, temporal, redis];
