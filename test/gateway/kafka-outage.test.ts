import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { provideInfrastructure, stopInfrastructure } from '@rapport/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, testInfra } from '../harness/index.js';
import { event, startTestGateway, type TestGateway } from './helpers.js';

// A broker of this file's own, so stopping it cannot disturb other suites: started by the same
// native runner as `rapport up` (dev profile, so its topics survive the restart).
describe('Kafka stopped, then back', () => {
  const infra = testInfra();
  let runDir: string;
  let brokerConfig: ReturnType<typeof loadConfig>;
  let t: TestGateway;

  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'rapport-outage-'));
    // The broker's client and controller listeners.
    const [kafkaPort, controllerPort] = await freePorts(2);
    brokerConfig = loadConfig({
      RAPPORT_RUN_DIR: runDir,
      RAPPORT_EMBEDDED_KAFKA_PORT: String(kafkaPort),
      RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: String(controllerPort),
      RAPPORT_TEMPORAL_ADDRESS: infra.temporalAddress,
      RAPPORT_REDIS_URL: infra.redisUrl,
    });
    await provideInfrastructure(brokerConfig, { profile: 'dev', docker: 'never' });
    t = await startTestGateway('gateway-outage', {
      RAPPORT_KAFKA_BROKERS: brokerConfig.kafka.brokers.join(','),
      RAPPORT_PUBLISH_TIMEOUT_MS: '1500',
    });
  }, 120_000);

  afterAll(async () => {
    await t.gateway.stop();
    await stopInfrastructure(brokerConfig);
    await rm(runDir, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After while Kafka is down, then accepts the same batch exactly once', async () => {
    const batch = Array.from({ length: 10 }, (_, index) => event(`outage-${index % 3}`));
    await stopInfrastructure(brokerConfig);

    const refused = await t.post('/v1/interactions', { batch });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'KAFKA_UNAVAILABLE',
    );
    const readiness = await fetch(`${t.gateway.url}/readyz`);
    expect(readiness.status).toBe(503);

    await provideInfrastructure(brokerConfig, { profile: 'dev', docker: 'never' });
    let accepted: Response | undefined;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      accepted = await t.post('/v1/interactions', { batch });
      if (accepted.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(accepted?.status).toBe(202);
    expect(await accepted?.json()).toEqual({ accepted: 10, duplicates: 0 });
    const again = await t.post('/v1/interactions', { batch });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 10 });

    const ids = (await t.records(t.config.kafka.topics.interactions)).map(
      (record) => (record.value as { eventId: string }).eventId,
    );
    expect(ids.sort()).toEqual(batch.map((sent) => sent.eventId).sort());
  }, 120_000);
});
