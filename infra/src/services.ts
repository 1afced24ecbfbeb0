import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_EMBEDDED_KAFKA_BROKERS, maskPassword, type Config } from '@rapport/config';
import { run } from './exec.js';
import { cachedPaths, ensureRedisServer, exists, fetchKafka, fetchTemporal } from './fetch.js';
import { probeKafka, probeRedis, probeTemporal } from './probes.js';
import { spawnDetached, type ProcessRecord } from './process.js';

/**
 * `dev` keeps data across restarts and serves the Temporal Web UI (what `rapport up` wants);
 * `test` starts from empty folders with settings that make a test run fast; `bench` is `test`
 * with the broker's JIT as in production, so a benchmark measures the broker users run.
 */
export type Profile = 'dev' | 'test' | 'bench';

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
  /**
   * What the native runner starts for it, each process recorded under its own name: the server
   * itself, or the brokers of a Kafka cluster (started together: a quorum answers only once most
   * of its voters run).
   */
  nodes(config: Config): readonly ManagedProcess[];
  /** Every name its processes may be recorded under, whatever the configuration says now. */
  readonly recordNames: readonly string[];
}

/** The embedded servers listen on loopback only. */
const LOOPBACK = '127.0.0.1';

const infraRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

async function freshDir(dir: string, profile: Profile): Promise<string> {
  if (profile !== 'dev') await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

const properties = (entries: Record<string, string | number | boolean>) =>
  `${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;

/**
 * What a broker gets on top of the runner's own settings: server properties that add to or
 * replace them (listeners, SASL), arguments of the storage format (SCRAM users: KRaft keeps
 * them in its metadata log, which the format writes first), and options of the broker's JVM,
 * instead of reading the class archive (the run that writes it). A cluster's brokers all get
 * them.
 */
export interface KafkaBrokerOptions {
  readonly properties?: Readonly<Record<string, string | number | boolean>>;
  readonly formatArgs?: readonly string[];
  readonly jvmArgs?: readonly string[];
}

type KafkaNode = Config['infra']['kafka']['nodes'][number];

/** The name a cluster's broker is recorded, logged and kept under in the run folder. */
export const kafkaNodeName = (nodeId: number) => `kafka-${nodeId}`;

/**
 * Kafka in KRaft combined mode from the cached jars; `rapport up` runs it with no options. With
 * RAPPORT_EMBEDDED_KAFKA_BROKERS above 1 the runner starts that many brokers as one cluster,
 * each a process of its own (`kafka-1`, `kafka-2`, …) that can fail alone.
 */
export function kafkaBroker(options: KafkaBrokerOptions = {}): InfraService {
  const broker: InfraService = {
    name: 'kafka',
    label: 'Kafka',
    endpointVariable: 'RAPPORT_KAFKA_BROKERS',
    endpoint: (config) => config.kafka.brokers.join(','),
    address: (config) => ({ host: LOOPBACK, port: config.infra.kafka.port }),
    probe: (config, timeoutMs) => probeKafka(config.kafka, timeoutMs),
    startTimeoutMs: 90_000,
    launch(config, profile) {
      const { port, controllerPort } = config.infra.kafka;
      return launchKafkaNode(
        config,
        profile,
        'kafka',
        { nodeId: 1, port, controllerPort },
        options,
      );
    },
    nodes: (config) =>
      config.infra.kafka.nodes.length === 1
        ? [broker]
        : config.infra.kafka.nodes.map((node) => kafkaClusterNode(node, options)),
    recordNames: [
      'kafka',
      ...Array.from({ length: MAX_EMBEDDED_KAFKA_BROKERS }, (_, n) => kafkaNodeName(n + 1)),
    ],
  };
  return broker;
}

export const kafka = kafkaBroker();

/** One broker of a cluster: health-checked on its own address, as clients reach it. */
function kafkaClusterNode(node: KafkaNode, options: KafkaBrokerOptions): ManagedProcess {
  const endpoint = `${LOOPBACK}:${node.port}`;
  const name = kafkaNodeName(node.nodeId);
  return {
    name,
    label: `Kafka broker ${node.nodeId}`,
    endpoint: () => endpoint,
    address: () => ({ host: LOOPBACK, port: node.port }),
    probe: (config, timeoutMs) => probeKafka({ ...config.kafka, brokers: [endpoint] }, timeoutMs),
    // Started together: a broker answers once most of the quorum's voters run.
    startTimeoutMs: 90_000,
    launch: (config, profile) => launchKafkaNode(config, profile, name, node, options),
  };
}

/**
 * Writes a broker's properties, formats its storage once, and starts it. Every node is a
 * controller too (combined mode), with every node of the configuration as a voter.
 */
async function launchKafkaNode(
  config: Config,
  profile: Profile,
  name: string,
  node: KafkaNode,
  options: KafkaBrokerOptions,
): Promise<ProcessRecord> {
  const { nodes } = config.infra.kafka;
  const libs = await fetchKafka(config.infra.cacheDir);
  const dir = await freshDir(join(config.infra.runDir, name), profile);
  const dataDir = join(dir, 'data');
  const serverProperties = join(dir, 'server.properties');
  const voters = nodes
    .map((voter) => `${voter.nodeId}@127.0.0.1:${voter.controllerPort}`)
    .join(',');
  // The internal topics replicated as the configuration replicates Rapport's own (3/2 on three
  // brokers), never on more copies than the cluster has brokers.
  const internal = Math.min(config.kafka.replicationFactor, nodes.length);
  await writeFile(
    serverProperties,
    properties({
      'process.roles': 'broker,controller',
      'node.id': node.nodeId,
      'controller.quorum.voters': voters,
      listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      'log.dirs': dataDir,
      'offsets.topic.replication.factor': internal,
      'transaction.state.log.replication.factor': internal,
      'transaction.state.log.min.isr': Math.min(config.kafka.minInsyncReplicas, internal),
      // A 50-partition offsets topic and a 3 s first-join delay only slow start-up.
      'offsets.topic.num.partitions': 1,
      'group.initial.rebalance.delay.ms': 0,
      // Topics are provisioned explicitly with the configured partition count.
      'auto.create.topics.enable': false,
      ...options.properties,
    }),
  );
  // The classes as an earlier broker loaded them (`archiveKafkaClasses`), mapped instead of read
  // from the jars and verified: a start takes about 40 % less CPU. A JVM that cannot use the
  // archive (another JDK's) reads the jars.
  const { kafkaClassArchive } = cachedPaths(config.infra.cacheDir);
  const sharing = (await exists(kafkaClassArchive))
    ? [`-XX:SharedArchiveFile=${kafkaClassArchive}`]
    : [];
  const java = [
    '-cp',
    `${libs}/*`,
    `-Dlog4j.configuration=file:${join(infraRoot, 'kafka', 'log4j.properties')}`,
  ];
  if (!(await exists(join(dataDir, 'meta.properties')))) {
    await run('java', [
      ...sharing,
      ...java,
      'kafka.tools.StorageTool',
      'format',
      // `=` form: a base64url id may begin with '-', which the tool's parser takes for an option.
      `--cluster-id=${clusterId(config.infra.runDir, voters)}`,
      '-c',
      serverProperties,
      '--ignore-formatted',
      ...(options.formatArgs ?? []),
    ]);
  }
  return spawnDetached({
    name,
    command: 'java',
    args: [
      ...kafkaJvmOptions(nodes.length, profile),
      ...(options.jvmArgs ?? sharing),
      ...java,
      'kafka.Kafka',
      serverProperties,
    ],
    runDir: config.infra.runDir,
    marker: serverProperties,
    endpoint: `127.0.0.1:${node.port}`,
  });
}

/**
 * The same id for every node of one cluster without them asking each other, and a different one
 * for another run folder or quorum: a broker never joins a cluster it was not formatted for.
 */
const clusterId = (runDir: string, voters: string) =>
  createHash('sha256')
    .update(`${runDir}\n${voters}`)
    .digest()
    .subarray(0, 16)
    .toString('base64url');

/**
 * What kafka-server-start.sh passes the broker (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS), but a
 * 512 MB starting heap. Without them the JVM's G1 aims at its default 200 ms pauses, and its
 * young collections under load showed up in every producer's tail latency (docs/performance.md).
 * A cluster's brokers on one machine get half the heap each (they share its memory and cores).
 * A test's broker compiles with C1 only: a test run is minutes of light traffic, where C2's
 * compiling cost more of the two cores than its faster code saved (docs/performance.md).
 */
const kafkaJvmOptions = (brokers: number, profile: Profile) => [
  ...(brokers === 1 ? ['-Xms512m', '-Xmx1g'] : ['-Xms256m', '-Xmx512m']),
  ...(profile === 'test' ? ['-XX:TieredStopAtLevel=1'] : []),
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
  nodes: () => [temporal],
  recordNames: ['temporal'],
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
  nodes: () => [redis],
  recordNames: ['redis'],
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
