import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@rapport/config';
import { startRedisCluster, type RedisClusterRun } from '@rapport/infra';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeClusterPorts,
  freePorts,
  ingestRetrying,
  killHard,
  spawnService,
  testEnvironment,
  uniqueNames,
  untilReady,
} from '../harness/index.js';
import { expectLogProjectedOnce } from './helpers.js';

/**
 * Issue 25: the gateway and the projector, each its own process, on a Redis Cluster of three
 * masters with two replicas each; the master holding the indexes' slot (and a third of the
 * customers') is SIGKILLed in the middle of an ingest. A replica takes over, and the projector
 * waits for each batch's writes to reach a replica before it commits the batch
 * (RAPPORT_REDIS_WAIT_REPLICAS=1), so the failover loses no write the log would not bring again.
 * Two replicas, as Kafka's three copies with two in sync: the promoted master still has one.
 */
const CUSTOMERS = 30;
const EVENTS_PER_CUSTOMER = 12;
const BATCH = 6;
const SENDERS = 3;
/** How long a master goes unanswered before its replica is promoted: short, for the test. */
const NODE_TIMEOUT_MS = 1_000;

describe('a Redis Cluster master SIGKILLed mid-ingest', () => {
  const names = uniqueNames('redis-failover');
  const children: ChildProcess[] = [];
  let runDir: string;
  let redis: RedisClusterRun;
  let env: Record<string, string>;
  let ports: { gateway: number; projector: number };

  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'rapport-redis-failover-'));
    const { ports: nodes, busPorts } = await freeClusterPorts(9);
    redis = await startRedisCluster(join(runDir, 'redis'), nodes, {
      busPorts,
      replicas: 2,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
    });
    const [gateway = 0, projector = 0] = await freePorts(2);
    ports = { gateway, projector };
    env = testEnvironment(names, {
      RAPPORT_REDIS_URL: redis.url,
      RAPPORT_REDIS_CLUSTER: 'true',
      // The node the URL names may be the one killed: a client started later finds the others.
      RAPPORT_REDIS_CLUSTER_NODES: redis.ports.map((port) => `127.0.0.1:${port}`).join(','),
      RAPPORT_REDIS_WAIT_REPLICAS: '1',
      RAPPORT_GATEWAY_PORT: String(gateway),
      RAPPORT_GATEWAY_PROCESSES: '1',
      RAPPORT_PROJECTOR_PORT: String(projector),
      RAPPORT_PROJECTOR_PROCESSES: '1',
      RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
      RAPPORT_LOG_LEVEL: 'warn',
    });
    children.push(spawnService('gateway', env));
    children.push(spawnService('projector', env));
    await Promise.all(Object.values(ports).map((port) => untilReady(port, 90_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(children.map(killHard));
    await redis?.stop();
    await rm(runDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event and projects each once while a replica takes over', async () => {
    const events = Array.from({ length: CUSTOMERS * EVENTS_PER_CUSTOMER }, (_, index) => ({
      eventId: `${names.id}-e${index}`,
      customerId: `${names.id}-c${index % CUSTOMERS}`,
      channel: 'web',
      type: 'page.viewed',
      direction: 'inbound',
      occurredAt: new Date(Date.now() - 60_000 + index).toISOString(),
    }));
    // 503 while the Cluster fails over, 409 while an earlier attempt's claims are pending.
    const ingest = ingestRetrying(ports.gateway, events, {
      batchSize: BATCH,
      senders: SENDERS,
      retriable: ['REDIS_UNAVAILABLE', 'IN_FLIGHT'],
    });

    await ingest.acknowledged(1 / 3);
    const victim = await masterOfIndexSlot(redis.url);
    await redis.kill(victim);
    const killedAt = Date.now();
    await ingest.done;

    const after = ingest.since(killedAt);
    console.log(
      `[redis-failover] killed master ${victim}; ${after.answers} answers after it, ` +
        `${after.refusals} of them refusals (${after.codes.join(', ')}), ` +
        `the last ${(after.lastRefusalMs / 1000).toFixed(1)} s after it`,
    );
    // Each event acknowledged once: a retry of an accepted event is a duplicate.
    expect(ingest.accepted()).toBe(events.length);
    // The log holds every acknowledged event; the read model is each one's fold, once.
    await expectLogProjectedOnce(loadConfig(env), ports.projector, events);
    for (const child of children) expect(child.exitCode, 'a service exited').toBeNull();
  }, 180_000);
});

/** The port of the master serving the slot of `{index}`: the busiest of the read model's. */
async function masterOfIndexSlot(url: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const cluster = new Cluster([{ host: hostname, port: Number(port) }]);
  try {
    const slot = Number(await cluster.cluster('KEYSLOT', '{index}'));
    const ranges = await cluster.cluster('SLOTS');
    const master = ranges.find(([first, last]) => first <= slot && slot <= last)?.[2];
    if (master === undefined) throw new Error(`no master serves slot ${slot}`);
    return master[1];
  } finally {
    cluster.disconnect();
  }
}
