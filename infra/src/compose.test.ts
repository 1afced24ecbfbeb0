import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { composeFile } from './compose.js';
import { infraServices } from './services.js';

// No Docker engine runs on the project's machines, so this checks the file's contract instead:
// it must offer the same services, on the same default ports, as the native runners.
const composeSchema = z.object({
  services: z.record(
    z.string(),
    z.object({
      image: z.string(),
      ports: z.array(z.string()).optional(),
      healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
      environment: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      command: z.array(z.string()).optional(),
      profiles: z.array(z.string()).optional(),
    }),
  ),
});

/** Resolves `${VAR:-default}` the way docker compose does when VAR is unset. */
const withDefaults = (text: string) => text.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

/** A service's environment as compose gives it when no variable is set. */
const resolved = (environment: Record<string, string | number> = {}) =>
  Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [name, withDefaults(String(value))]),
  );

/** `NAME=value` lines, as compose reads an --env-file. */
const envFile = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

const hostPorts = (ports: readonly string[]) =>
  ports.map((mapping) => {
    const [host, published] = withDefaults(mapping).split(':');
    expect(host).toBe('127.0.0.1');
    return Number(published);
  });

describe('docker-compose.yml', async () => {
  const compose = composeSchema.parse(parse(await readFile(composeFile, 'utf8'), { merge: true }));
  const config = loadConfig({});

  it('offers every infrastructure service with a healthcheck', () => {
    for (const service of infraServices) {
      const entry = compose.services[service.name];
      expect(entry, service.name).toBeDefined();
      expect(entry?.healthcheck?.test.length).toBeGreaterThan(0);
    }
  });

  it('pins the images the native runners mirror', () => {
    expect(compose.services['kafka']?.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(compose.services['temporal']?.image).toMatch(/^temporalio\/temporal:\d+\.\d+\.\d+$/);
    expect(compose.services['redis']?.image).toMatch(/^redis:7(\.\d+)*$/);
  });

  it('publishes the config default ports on loopback', () => {
    expect(hostPorts(compose.services['kafka']?.ports ?? [])).toEqual([config.infra.kafka.port]);
    expect(config.kafka.brokers).toEqual([`127.0.0.1:${config.infra.kafka.port}`]);
    expect(hostPorts(compose.services['temporal']?.ports ?? [])).toEqual([
      config.infra.temporal.port,
      config.infra.temporal.uiPort,
    ]);
    expect(config.temporal.address).toBe(`127.0.0.1:${config.infra.temporal.port}`);
    expect(hostPorts(compose.services['redis']?.ports ?? [])).toEqual([config.infra.redis.port]);
    expect(config.redis.url).toBe(`redis://127.0.0.1:${config.infra.redis.port}`);
  });

  it.each([
    ['gateway', config.http.gatewayPort],
    ['projector', config.projector.port],
    ['api', config.http.apiPort],
    ['worker', config.worker.port],
    ['bridge', config.bridge.port],
  ])(
    'runs %s from the project image on its default port, on the in-network endpoints',
    (name, port) => {
      const service = compose.services[name];
      expect(service?.image).toBe('rapport:dev');
      expect(hostPorts(service?.ports ?? [])).toEqual([port]);
      expect(service?.healthcheck?.test).toContain(String(port));
      expect(resolved(service?.environment)).toMatchObject({
        RAPPORT_KAFKA_BROKERS: 'kafka:19092',
        RAPPORT_TEMPORAL_ADDRESS: 'temporal:7233',
        RAPPORT_REDIS_URL: 'redis://redis:6379',
        RAPPORT_REDIS_CLUSTER: 'false',
      });
    },
  );

  it.each(['gateway', 'projector', 'api', 'worker', 'bridge'])(
    'runs %s compiled, with plain Node, from the path it has in the repository',
    (name) => {
      const command = compose.services[name]?.command ?? [];
      expect(command[0]).toBe('node');
      expect(command.at(-1)).toBe(`services/${name}/dist/main.js`);
      expect(command.join(' ')).not.toMatch(/tsx|--conditions/);
    },
  );

  // As `rapport up` runs them (serviceNodeFlags in packages/cli/src/service-processes.ts): every
  // service shares the host's cores with the others and the servers.
  it.each(['gateway', 'projector', 'api', 'bridge', 'worker'])(
    'runs %s with garbage collection on its own thread',
    (name) => {
      const command = compose.services[name]?.command ?? [];
      expect(command).toContain('--single-threaded-gc');
    },
  );

  it("gives the API and the gateway their own generations' sizes, as `rapport up` does", () => {
    expect(compose.services['api']?.command).toContain('--initial-old-space-size=128');
    expect(compose.services['gateway']?.command).toContain('--max-semi-space-size=64');
  });

  it("passes the follow-ups' destinations and their secrets to the worker alone", () => {
    const destinations = [
      'RAPPORT_FOLLOWUP_WEBHOOK_URL',
      'RAPPORT_FOLLOWUP_WEBHOOK_SECRET',
      'RAPPORT_SLACK_WEBHOOKS',
      'RAPPORT_SMTP_URL',
      'RAPPORT_EMAIL_FROM',
      'RAPPORT_EMAIL_RECIPIENTS',
    ];
    const worker = compose.services['worker']?.environment ?? {};
    for (const name of destinations) expect(worker[name]).toBe(`\${${name}:-}`);
    for (const other of ['gateway', 'projector', 'api', 'bridge']) {
      const environment = Object.keys(compose.services[other]?.environment ?? {});
      expect(environment.filter((name) => destinations.includes(name))).toEqual([]);
    }
  });

  describe('the cluster profile', () => {
    const brokers = ['kafka-1', 'kafka-2', 'kafka-3'];
    const redisNodes = ['redis-1', 'redis-2', 'redis-3'];

    it('runs three KRaft brokers as one quorum, replicated as the native runner replicates', () => {
      // What the native runner's three brokers are given (RAPPORT_EMBEDDED_KAFKA_BROKERS=3).
      const native = loadConfig({ RAPPORT_EMBEDDED_KAFKA_BROKERS: '3' });
      expect(native.kafka).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
      brokers.forEach((name, index) => {
        const broker = compose.services[name];
        expect(broker?.profiles).toEqual(['cluster']);
        expect(broker?.image).toBe(compose.services['kafka']?.image);
        expect(broker?.environment).toMatchObject({
          KAFKA_NODE_ID: index + 1,
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_CONTROLLER_QUORUM_VOTERS: brokers.map((b, n) => `${n + 1}@${b}:9093`).join(','),
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${name}:19092`,
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: native.kafka.replicationFactor,
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: native.kafka.replicationFactor,
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: native.kafka.minInsyncReplicas,
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        });
        expect(broker?.healthcheck?.test.length).toBeGreaterThan(0);
      });
    });

    it('runs a Redis Cluster of three masters, formed once', () => {
      for (const name of redisNodes) {
        const node = compose.services[name];
        expect(node?.profiles).toEqual(['cluster']);
        expect(node?.image).toBe(compose.services['redis']?.image);
        expect(node?.command?.join(' ')).toContain('--cluster-enabled yes');
      }
      const create = compose.services['redis-cluster']?.command?.join(' ') ?? '';
      expect(create).toContain('--cluster create');
      for (const name of redisNodes) expect(create).toContain(`getent hosts ${name}`);
    });

    it('points the services at them with infra/docker/cluster.env', async () => {
      const env = envFile(
        await readFile(join(dirname(composeFile), 'infra/docker/cluster.env'), 'utf8'),
      );
      expect(env).toEqual({
        RAPPORT_COMPOSE_KAFKA_BROKERS: brokers.map((name) => `${name}:19092`).join(','),
        RAPPORT_COMPOSE_REDIS_URL: 'redis://redis-1:6379',
        RAPPORT_COMPOSE_REDIS_CLUSTER: 'true',
        RAPPORT_COMPOSE_REDIS_CLUSTER_NODES: redisNodes
          .slice(1)
          .map((name) => `${name}:6379`)
          .join(','),
      });
      // Each variable is one the services' environment reads.
      const text = await readFile(composeFile, 'utf8');
      for (const name of Object.keys(env)) expect(text).toContain(`\${${name}:-`);
      // And what they give parses as a configuration for a Kafka and a Redis cluster.
      const config = loadConfig({
        RAPPORT_KAFKA_BROKERS: env['RAPPORT_COMPOSE_KAFKA_BROKERS'],
        RAPPORT_REDIS_URL: env['RAPPORT_COMPOSE_REDIS_URL'],
        RAPPORT_REDIS_CLUSTER: env['RAPPORT_COMPOSE_REDIS_CLUSTER'],
        RAPPORT_REDIS_CLUSTER_NODES: env['RAPPORT_COMPOSE_REDIS_CLUSTER_NODES'],
      });
      expect(config.kafka).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
      expect(config.redis).toMatchObject({
        cluster: true,
        clusterNodes: ['redis-2:6379', 'redis-3:6379'],
      });
    });
  });

  it('advertises the published Kafka port to clients on the host', async () => {
    const text = await readFile(composeFile, 'utf8');
    expect(withDefaults(text)).toContain(`EXTERNAL://127.0.0.1:${config.infra.kafka.port}`);
  });
});
