import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '@rapport/config';
import { provideInfrastructure, stopInfrastructure } from '@rapport/infra';
import { createKafka } from '@rapport/kafka';
import { createModel } from '@rapport/model';
import { connectReadModel, type ReadModel } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePorts,
  spawnService,
  TEST_ADMIN_KEY,
  TEST_READ_KEY,
  TEST_WRITE_KEY,
  testEnvironment,
  testInfra,
  uniqueNames,
  untilReady,
} from '../harness/index.js';
import { readEvents, uniqueById } from '../kafka/helpers.js';
import { expectProjectedOnce, projected } from '../projector/helpers.js';
import { event } from './helpers.js';

const ADMIN = { authorization: `Bearer ${TEST_ADMIN_KEY}` };

// A broker of this file's own, so stopping it cannot disturb other suites: started by the same
// native runner as `rapport up` (dev profile, so its topics survive the restart), and only after
// the gateway and a pool of projectors were started against its port, as `rapport up` would
// start them with the broker down. Beside them, a query API whose Redis never comes.
describe('Kafka down as the services start, then up; stopped, then back', () => {
  const infra = testInfra();
  const names = uniqueNames('kafka-outage');
  let runDir: string;
  let brokerConfig: Config;
  let config: Config;
  let store: ReadModel;
  let gatewayPort: number;
  let gatewayUrl: string;
  let projectorPort: number;
  let apiUrl: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'rapport-outage-'));
    // The broker's client and controller listeners, the services' ports, and one where no Redis
    // listens.
    const [kafkaPort, controllerPort, gateway, projectors, apiPort, noRedis] = await freePorts(6);
    brokerConfig = loadConfig({
      RAPPORT_RUN_DIR: runDir,
      RAPPORT_EMBEDDED_KAFKA_PORT: String(kafkaPort),
      RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: String(controllerPort),
      RAPPORT_TEMPORAL_ADDRESS: infra.temporalAddress,
      RAPPORT_REDIS_URL: infra.redisUrl,
    });
    gatewayPort = gateway ?? 0;
    projectorPort = projectors ?? 0;
    const env = testEnvironment(names, {
      RAPPORT_KAFKA_BROKERS: brokerConfig.kafka.brokers.join(','),
      RAPPORT_GATEWAY_PORT: String(gatewayPort),
      RAPPORT_GATEWAY_PROCESSES: '1',
      RAPPORT_PROJECTOR_PORT: String(projectorPort),
      RAPPORT_PROJECTOR_PROCESSES: '2',
      RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
      RAPPORT_PUBLISH_TIMEOUT_MS: '1500',
    });
    config = loadConfig(env);
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    apiUrl = `http://127.0.0.1:${apiPort}`;
    children.push(spawnService('gateway', env));
    children.push(spawnService('projector', env));
    children.push(
      spawnService('api', {
        ...env,
        RAPPORT_API_PORT: String(apiPort),
        RAPPORT_REDIS_URL: `redis://127.0.0.1:${noRedis}`,
      }),
    );
    store = connectReadModel(config, createModel());
  }, 120_000);

  afterAll(async () => {
    await Promise.all(children.map(stop));
    await store.close();
    await stopInfrastructure(brokerConfig);
    await rm(runDir, { recursive: true, force: true });
  });

  const post = (body: unknown) =>
    fetch(`${gatewayUrl}/v1/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_WRITE_KEY}` },
      body: JSON.stringify(body),
    });
  /** `/readyz` as an admin sees it: its status, then its body. */
  const readiness = async (url: string) => {
    const response = await fetch(`${url}/readyz`, { headers: ADMIN }).catch(() => undefined);
    return `${response?.status} ${await response?.text()}`;
  };
  it('waits for its server, answering not ready (data routes 503) and stopping at once when told; works once it is up', async () => {
    // Each says which server it waits for, and why its last attempt failed.
    const waiting =
      /^503 \{"status":"not_ready".*"kafka":"[^"]*ECONNREFUSED.*"startup":"waiting for kafka"/;
    await expect
      .poll(() => readiness(`http://127.0.0.1:${projectorPort}`), { timeout: 45_000 })
      .toMatch(waiting);
    await expect.poll(() => readiness(gatewayUrl), { timeout: 45_000 }).toMatch(waiting);
    expect((await fetch(`${gatewayUrl}/healthz`)).status).toBe(200);
    const refused = await post({ batch: [event('starting')] });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('NOT_READY');

    await expect
      .poll(() => readiness(apiUrl), { timeout: 45_000 })
      .toMatch(/^503 .*"startup":"waiting for redis"/);
    const read = await fetch(`${apiUrl}/v1/customers/anyone`, {
      headers: { authorization: `Bearer ${TEST_READ_KEY}` },
    });
    expect(read.status).toBe(503);
    const [gateway, projector, api] = children;
    const asked = Date.now();
    api?.kill('SIGTERM');
    if (api) expect(await once(api, 'exit')).toEqual([0, null]);
    expect(Date.now() - asked).toBeLessThan(5_000);
    expect([gateway?.exitCode, projector?.exitCode]).toEqual([null, null]);

    await provideInfrastructure(brokerConfig, { profile: 'dev', docker: 'never' });
    await untilReady(projectorPort, 60_000);
    await untilReady(gatewayPort, 60_000);
    const batch = Array.from({ length: 6 }, (_, index) => event(`started-${index % 2}`));
    const accepted = await post({ batch });
    expect(accepted.status).toBe(202);
    await projected(store, '0', batch);
  }, 120_000);

  it('answers 503 with Retry-After while Kafka is down, then accepts the same batch exactly once', async () => {
    const batch = Array.from({ length: 10 }, (_, index) => event(`outage-${index % 3}`));
    await stopInfrastructure(brokerConfig);

    const refused = await post({ batch });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'KAFKA_UNAVAILABLE',
    );
    expect((await fetch(`${gatewayUrl}/readyz`)).status).toBe(503);

    await provideInfrastructure(brokerConfig, { profile: 'dev', docker: 'never' });
    let accepted: Response | undefined;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      accepted = await post({ batch });
      if (accepted.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(accepted?.status).toBe(202);
    expect(await accepted?.json()).toEqual({ accepted: 10, duplicates: 0 });
    const again = await post({ batch });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 10 });

    // Every event is in the log. The refused publish may have landed too, once the broker was
    // back (the producer's at-least-once window, docs/ingestion.md), so an event may be there
    // twice; the read model still folds each once (a copy is skipped by its eventId).
    const log = await readEvents(createKafka(config.kafka), config.kafka.topics.interactions);
    expect(
      uniqueById(log)
        .map((stamped) => stamped.eventId)
        .filter((id) => batch.some((sent) => sent.eventId === id))
        .sort(),
    ).toEqual(batch.map((sent) => sent.eventId).sort());
    await expectProjectedOnce(store, projectorPort, log);
  }, 120_000);
});

/** SIGTERM, as `rapport down` stops a service, and its exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
