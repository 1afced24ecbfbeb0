import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { refusal } from './testing.js';

describe('loadConfig', () => {
  it('defaults to the local services started by `rapport up`', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.topics).toEqual({
      interactions: 'rapport.interactions.v1',
      dlq: 'rapport.interactions.dlq.v1',
    });
    expect(config.kafka.partitions).toBe(12);
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.temporal.address).toBe('127.0.0.1:7233');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      gatewayPort: 8080,
      apiPort: 8081,
      requestTimeoutMs: 20_000,
    });
    expect(config.auth).toEqual({ write: [], read: [], admin: [] });
    expect(config.infra.kafka.given).toBe(false);
  });

  it('points unset endpoints at the embedded ports and marks given ones', () => {
    const config = loadConfig({
      RAPPORT_EMBEDDED_KAFKA_PORT: '19092',
      RAPPORT_EMBEDDED_REDIS_PORT: '16379',
      RAPPORT_TEMPORAL_ADDRESS: 'temporal:7233',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.redis.url).toBe('redis://127.0.0.1:16379');
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.infra.kafka).toMatchObject({ given: false, port: 19092 });
    expect(config.infra.redis.given).toBe(false);
    expect(config.infra.temporal.given).toBe(true);
  });

  it('replicates the topics as the listed brokers allow: 1/1 on one, 2/1 on two, 3/2 on three or more', () => {
    const replication = (env: Record<string, string>) => {
      const { replicationFactor, minInsyncReplicas } = loadConfig(env).kafka;
      return [replicationFactor, minInsyncReplicas];
    };
    expect(replication({})).toEqual([1, 1]);
    expect(replication({ RAPPORT_KAFKA_BROKERS: 'a:1,b:2' })).toEqual([2, 1]);
    expect(replication({ RAPPORT_KAFKA_BROKERS: 'a:1,b:2,c:3,d:4' })).toEqual([3, 2]);
    expect(replication({ RAPPORT_EMBEDDED_KAFKA_BROKERS: '3' })).toEqual([3, 2]);
    expect(
      replication({ RAPPORT_KAFKA_REPLICATION_FACTOR: '1', RAPPORT_EMBEDDED_KAFKA_BROKERS: '3' }),
    ).toEqual([1, 1]);
    expect(
      replication({
        RAPPORT_KAFKA_BROKERS: 'a:1',
        RAPPORT_KAFKA_REPLICATION_FACTOR: '3',
        RAPPORT_KAFKA_MIN_INSYNC_REPLICAS: '3',
      }),
    ).toEqual([3, 3]);
    expect(() => loadConfig({ RAPPORT_KAFKA_MIN_INSYNC_REPLICAS: '2' })).toThrow(
      /RAPPORT_KAFKA_MIN_INSYNC_REPLICAS: at most the replication factor \(1, RAPPORT_KAFKA_REPLICATION_FACTOR\)/,
    );
  });

  it('lists every broker of an embedded cluster, each on ports two apart from the last', () => {
    const config = loadConfig({ RAPPORT_EMBEDDED_KAFKA_BROKERS: '3' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9094', '127.0.0.1:9096']);
    expect(config.infra.kafka.nodes).toEqual([
      { nodeId: 1, port: 9092, controllerPort: 9093 },
      { nodeId: 2, port: 9094, controllerPort: 9095 },
      { nodeId: 3, port: 9096, controllerPort: 9097 },
    ]);
    expect(() =>
      loadConfig({
        RAPPORT_EMBEDDED_KAFKA_BROKERS: '3',
        RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: '9096',
      }),
    ).toThrow(/RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: the brokers' ports overlap/);
    expect(() => loadConfig({ RAPPORT_EMBEDDED_KAFKA_BROKERS: '6' })).toThrow(
      /RAPPORT_EMBEDDED_KAFKA_BROKERS/,
    );
  });

  it('reads RAPPORT_* variables and splits lists', () => {
    const config = loadConfig({
      RAPPORT_KAFKA_BROKERS: 'a:1, b:2',
      RAPPORT_TOPIC_PARTITIONS: '3',
      RAPPORT_WRITE_KEYS: 'write-key-one,write-key-two',
      RAPPORT_GATEWAY_PORT: '9000',
      RAPPORT_GATEWAY_PROCESSES: '1',
    });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.kafka.partitions).toBe(3);
    expect(config.auth.write).toEqual(['write-key-one', 'write-key-two']);
    expect(config.http.gatewayPort).toBe(9000);
    expect(config.gateway.processes).toBe(1);
    expect(loadConfig({}).gateway.processes).toBe(availableParallelism());
    expect(() => loadConfig({ RAPPORT_GATEWAY_PROCESSES: '0' })).toThrow(
      /RAPPORT_GATEWAY_PROCESSES/,
    );
  });

  it('refuses short keys, keys with spaces, and one key in two classes, never quoting them', () => {
    expect(refusal({ RAPPORT_READ_KEYS: 'short' })).toMatch(
      /RAPPORT_READ_KEYS: each key needs at least 12 characters.*\(value hidden\)/,
    );
    expect(refusal({ RAPPORT_ADMIN_KEYS: 'has a space in it' })).toMatch(/printable ASCII/);
    const shared = refusal({
      RAPPORT_WRITE_KEYS: 'the-same-key-twice',
      RAPPORT_ADMIN_KEYS: 'the-same-key-twice',
    });
    expect(shared).toMatch(/RAPPORT_ADMIN_KEYS: a key of RAPPORT_WRITE_KEYS is also listed here/);
    for (const message of [shared, refusal({ RAPPORT_WRITE_KEYS: 'tiny' })]) {
      expect(message).not.toMatch(/the-same-key-twice|tiny/);
    }
    expect(refusal({ RAPPORT_CHANNEL_SECRETS: 'nosecret-at-all' })).not.toMatch(/nosecret/);
    expect(refusal({ RAPPORT_REDIS_URL: 'redis://:hunter2@' })).not.toMatch(/hunter2/);
  });

  it('reads per-channel webhook secrets', () => {
    const config = loadConfig({ RAPPORT_CHANNEL_SECRETS: 'email=s3cr=t, support=x' });
    expect(config.gateway.channelSecrets).toEqual({ email: 's3cr=t', support: 'x' });
    expect(() => loadConfig({ RAPPORT_CHANNEL_SECRETS: 'nosecret' })).toThrow(
      /RAPPORT_CHANNEL_SECRETS: expected channel=secret.*\(value hidden\)/,
    );
  });

  it('names the channels file, which the gateway reads at start-up', () => {
    const config = loadConfig({ RAPPORT_CHANNELS_FILE: '/etc/rapport/channels.yaml' });
    expect(config.gateway.channelsFile).toBe('/etc/rapport/channels.yaml');
    expect(loadConfig({}).gateway.channelsFile).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ RAPPORT_API_PORT: '' }).http.apiPort).toBe(8081);
  });

  it('names every wrong variable with what was expected and what was given', () => {
    let error: unknown;
    try {
      loadConfig({
        RAPPORT_GATEWAY_PORT: 'eighty',
        RAPPORT_KAFKA_BROKERS: 'no-port',
        RAPPORT_REDIS_URL: 'http://x',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('CONFIG_INVALID');
    expect(configError.issues.map((issue) => issue.variable).sort()).toEqual([
      'RAPPORT_GATEWAY_PORT',
      'RAPPORT_KAFKA_BROKERS',
      'RAPPORT_REDIS_URL',
    ]);
    expect(configError.message).toMatch(
      /RAPPORT_KAFKA_BROKERS: expected host:port \(item 0\); got "no-port"/,
    );
    expect(configError.message).toMatch(/RAPPORT_GATEWAY_PORT: .*got "eighty"/);
  });

  it('fails a consumer over within 10 s by default, heartbeating at least three times a session', () => {
    expect(loadConfig({}).kafka).toMatchObject({
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 3_000,
    });
    // Unset, the heartbeat follows the session: a third of it, at most 3 s.
    const sessionOnly = (session: string) => loadConfig({ RAPPORT_KAFKA_SESSION_TIMEOUT: session });
    expect(sessionOnly('6s').kafka).toMatchObject({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 2_000,
    });
    expect(sessionOnly('45s').kafka.heartbeatIntervalMs).toBe(3_000);
    const both = loadConfig({
      RAPPORT_KAFKA_SESSION_TIMEOUT: '30s',
      RAPPORT_KAFKA_HEARTBEAT_INTERVAL: '10s',
    });
    expect(both.kafka).toMatchObject({ sessionTimeoutMs: 30_000, heartbeatIntervalMs: 10_000 });
    expect(
      loadConfig({ RAPPORT_KAFKA_HEARTBEAT_INTERVAL: '500ms' }).kafka.heartbeatIntervalMs,
    ).toBe(500);

    expect(refusal({ RAPPORT_KAFKA_SESSION_TIMEOUT: '5s' })).toMatch(
      /RAPPORT_KAFKA_SESSION_TIMEOUT: at least 6s \(the broker refuses shorter sessions\); got "5s"/,
    );
    expect(refusal({ RAPPORT_KAFKA_SESSION_TIMEOUT: '6m' })).toMatch(/at most 5m/);
    // More than a third of the session, whether the session is the default or given.
    expect(refusal({ RAPPORT_KAFKA_HEARTBEAT_INTERVAL: '4s' })).toMatch(
      /RAPPORT_KAFKA_HEARTBEAT_INTERVAL: at most a third of RAPPORT_KAFKA_SESSION_TIMEOUT \(3333ms\); got "4s"/,
    );
    expect(
      refusal({ RAPPORT_KAFKA_SESSION_TIMEOUT: '6s', RAPPORT_KAFKA_HEARTBEAT_INTERVAL: '2001ms' }),
    ).toMatch(/RAPPORT_KAFKA_HEARTBEAT_INTERVAL: at most a third .*\(2000ms\)/);
    expect(refusal({ RAPPORT_KAFKA_HEARTBEAT_INTERVAL: '50ms' })).toMatch(
      /RAPPORT_KAFKA_HEARTBEAT_INTERVAL: at least 100ms/,
    );
    expect(refusal({ RAPPORT_KAFKA_HEARTBEAT_INTERVAL: 'often' })).toMatch(
      /RAPPORT_KAFKA_HEARTBEAT_INTERVAL: expected a duration/,
    );
  });

  it('bounds what a consumer retries before it dead-letters a record, and says when it is stalled', () => {
    expect(loadConfig({}).kafka).toMatchObject({ poisonAttempts: 5, stallAfterMs: 60_000 });
    expect(
      loadConfig({ RAPPORT_POISON_ATTEMPTS: '2', RAPPORT_STALL_AFTER: '90s' }).kafka,
    ).toMatchObject({ poisonAttempts: 2, stallAfterMs: 90_000 });
    expect(() => loadConfig({ RAPPORT_POISON_ATTEMPTS: '0' })).toThrow(/RAPPORT_POISON_ATTEMPTS/);
    expect(() => loadConfig({ RAPPORT_STALL_AFTER: '500ms' })).toThrow(
      /RAPPORT_STALL_AFTER: at least 1s/,
    );
  });

  it('configures the bridge, the worker and what the customer workflow watches for', () => {
    const config = loadConfig({});
    expect(config.bridge).toEqual({ port: 8083, groupId: 'rapport-bridge', signalConcurrency: 64 });
    expect(config.worker).toEqual({
      port: 8084,
      playbooksFile: undefined,
      workflowBundle: undefined,
      maxCachedWorkflows: undefined,
      webhook: { url: undefined, secret: undefined },
      destinations: { slack: new Map(), email: undefined, dashboardUrl: 'http://127.0.0.1:8081' },
    });
    expect(config.engagement).toEqual({
      sla: {
        defaultMs: 86_400_000,
        byChannel: { chat: 900_000, social: 14_400_000, support: 28_800_000 },
      },
      dropThreshold: undefined,
      relativeDrop: { share: 0.5, windowMs: 30 * 86_400_000 },
      onboardingSilenceMs: 7 * 86_400_000,
      trustBreachBelow: 0.5,
      followUpCooldownMs: 14 * 86_400_000,
      allowedLatenessMs: 60_000,
    });
  });

  it('configures the projector, the read model and the query API', () => {
    const config = loadConfig({});
    expect(config.projector).toEqual({
      port: 8082,
      groupId: 'rapport-projector',
      cacheSize: 200_000,
      processes: availableParallelism(),
    });
    expect(config.readModel).toEqual({
      historyLength: 50,
      timelineLength: 20,
      changeStreamLength: 2_000,
      indexShards: 1,
    });
    expect(config.api).toEqual({ sseHeartbeatMs: 15_000, maxStreams: 1_000, maxStreamsPerKey: 32 });
    const tuned = loadConfig({
      RAPPORT_PROJECTOR_PORT: '9182',
      RAPPORT_PROJECTOR_GROUP_ID: 'p2',
      RAPPORT_PROJECTOR_CACHE_SIZE: '0',
      RAPPORT_PROJECTOR_PROCESSES: '3',
      RAPPORT_HISTORY_LENGTH: '5',
      RAPPORT_SSE_HEARTBEAT: '250ms',
    });
    expect(tuned.projector).toEqual({ port: 9182, groupId: 'p2', cacheSize: 0, processes: 3 });
    expect(tuned.readModel.historyLength).toBe(5);
    expect(tuned.api.sseHeartbeatMs).toBe(250);
    expect(() => loadConfig({ RAPPORT_CHANGE_STREAM_LENGTH: '10' })).toThrow(
      /RAPPORT_CHANGE_STREAM_LENGTH/,
    );
    // Every write copies a customer's whole history and timeline: the caps bound its cost.
    expect(loadConfig({ RAPPORT_HISTORY_LENGTH: '1000' }).readModel.historyLength).toBe(1_000);
    expect(() => loadConfig({ RAPPORT_HISTORY_LENGTH: '1001' })).toThrow(/RAPPORT_HISTORY_LENGTH/);
    expect(() => loadConfig({ RAPPORT_TIMELINE_LENGTH: '1001' })).toThrow(
      /RAPPORT_TIMELINE_LENGTH/,
    );
    expect(() => loadConfig({ RAPPORT_PROJECTOR_PROCESSES: 'many' })).toThrow(
      /RAPPORT_PROJECTOR_PROCESSES/,
    );
  });

  it('spreads the global indexes over 1 to 64 shards', () => {
    expect(loadConfig({ RAPPORT_REDIS_INDEX_SHARDS: '8' }).readModel.indexShards).toBe(8);
    expect(refusal({ RAPPORT_REDIS_INDEX_SHARDS: '0' })).toMatch(
      /RAPPORT_REDIS_INDEX_SHARDS: at least 1; got "0"/,
    );
    expect(refusal({ RAPPORT_REDIS_INDEX_SHARDS: '65' })).toMatch(/at most 64; got "65"/);
    expect(refusal({ RAPPORT_REDIS_INDEX_SHARDS: '2.5' })).toMatch(/expected a whole number/);
  });

  it("bounds the worker's workflow cache, 0 turning it off", () => {
    expect(loadConfig({ RAPPORT_WORKER_MAX_CACHED_WORKFLOWS: '0' }).worker.maxCachedWorkflows).toBe(
      0,
    );
    expect(refusal({ RAPPORT_WORKER_MAX_CACHED_WORKFLOWS: '1' })).toMatch(
      /RAPPORT_WORKER_MAX_CACHED_WORKFLOWS: expected 0 \(no cache\) or at least 2/,
    );
  });

  it("reads a Redis Cluster's other seed nodes and the replicas a projection waits for", () => {
    const config = loadConfig({
      RAPPORT_REDIS_CLUSTER: 'true',
      RAPPORT_REDIS_CLUSTER_NODES: 'redis-2:6379, redis-3:6379',
      RAPPORT_REDIS_WAIT_REPLICAS: '1',
    });
    expect(config.redis).toMatchObject({
      clusterNodes: ['redis-2:6379', 'redis-3:6379'],
      waitReplicas: 1,
    });
    expect(loadConfig({}).redis).toMatchObject({ clusterNodes: [], waitReplicas: 0 });
    expect(refusal({ RAPPORT_REDIS_CLUSTER_NODES: 'redis-2' })).toMatch(
      /RAPPORT_REDIS_CLUSTER_NODES: .*expected host:port/,
    );
    expect(refusal({ RAPPORT_REDIS_WAIT_REPLICAS: '-1' })).toMatch(/RAPPORT_REDIS_WAIT_REPLICAS/);
  });

  it('reads durations, per-channel deadlines and the follow-up webhook', () => {
    const config = loadConfig({
      RAPPORT_SLA: 'chat=90s, default=1.5h',
      RAPPORT_FOLLOWUP_COOLDOWN: '500ms',
      RAPPORT_DROP_THRESHOLD: '30',
      RAPPORT_FOLLOWUP_WEBHOOK_URL: 'https://hooks.example.com/rapport',
      RAPPORT_FOLLOWUP_WEBHOOK_SECRET: '0123456789abcdef',
    });
    expect(config.engagement.sla).toEqual({ defaultMs: 5_400_000, byChannel: { chat: 90_000 } });
    expect(config.engagement.followUpCooldownMs).toBe(500);
    expect(config.engagement.dropThreshold).toBe(30);
    expect(config.worker.webhook).toEqual({
      url: 'https://hooks.example.com/rapport',
      secret: '0123456789abcdef',
    });
    expect(() => loadConfig({ RAPPORT_SLA: 'chat=5x' })).toThrow(
      /RAPPORT_SLA: expected a duration such as "15m", "8h" or "14d" \(item 0.1\); got "chat=5x"/,
    );
    expect(() => loadConfig({ RAPPORT_PEAK_SHARE: '1' })).toThrow(/RAPPORT_PEAK_SHARE/);
  });

  it('refuses a follow-up webhook without a signing secret', () => {
    expect(() => loadConfig({ RAPPORT_FOLLOWUP_WEBHOOK_URL: 'http://127.0.0.1:9/hook' })).toThrow(
      /RAPPORT_FOLLOWUP_WEBHOOK_SECRET: required when RAPPORT_FOLLOWUP_WEBHOOK_URL is set/,
    );
  });
});
