import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

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
    expect(config.http).toEqual({ host: '127.0.0.1', gatewayPort: 8080, apiPort: 8081 });
    expect(config.auth).toEqual({ writeKeys: [], readKeys: [] });
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

  it('reads RAPPORT_* variables and splits lists', () => {
    const config = loadConfig({
      RAPPORT_KAFKA_BROKERS: 'a:1, b:2',
      RAPPORT_TOPIC_PARTITIONS: '3',
      RAPPORT_WRITE_KEYS: 'w1,w2',
      RAPPORT_GATEWAY_PORT: '9000',
    });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.kafka.partitions).toBe(3);
    expect(config.auth.writeKeys).toEqual(['w1', 'w2']);
    expect(config.http.gatewayPort).toBe(9000);
  });

  it('reads per-channel webhook secrets', () => {
    const config = loadConfig({ RAPPORT_CHANNEL_SECRETS: 'email=s3cr=t, support=x' });
    expect(config.gateway.channelSecrets).toEqual({ email: 's3cr=t', support: 'x' });
    expect(() => loadConfig({ RAPPORT_CHANNEL_SECRETS: 'nosecret' })).toThrow(
      /RAPPORT_CHANNEL_SECRETS: expected channel=secret/,
    );
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
});
