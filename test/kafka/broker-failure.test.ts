import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '@rapport/config';
import {
  kafkaNodeName,
  provideInfrastructure,
  runningProcess,
  stopInfrastructure,
} from '@rapport/infra';
import { connectWithoutRetries } from '@rapport/workflows/client';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePortRun,
  freePorts,
  killHard,
  ingestRetrying,
  spawnService,
  testEnvironment,
  testInfra,
  uniqueNames,
  untilReady,
} from '../harness/index.js';
import { expectLogProjectedOnce, expectSameState, model } from '../projector/helpers.js';
import { describedWhen } from '../workflows/helpers.js';
import { topicSettings, withInspectingAdmin } from './helpers.js';

/**
 * Issue 25, item 2: the whole pipeline (gateway, projector, bridge, worker, each its own process)
 * on a cluster of three brokers of its own, topics at replication factor 3 and
 * min.insync.replicas 2 by default; the broker leading some of the log's partitions is SIGKILLed
 * in the middle of an ingest over HTTP.
 */
const BROKERS = 3;
const CUSTOMERS = 30;
const EVENTS_PER_CUSTOMER = 12;
const BATCH = 6;
/** Requests in flight at once, as a few clients would send them. */
const SENDERS = 3;

describe('a broker of three SIGKILLed mid-ingest', () => {
  const names = uniqueNames('broker-failure');
  const children: ChildProcess[] = [];
  let runDir: string;
  let cluster: Config;
  let env: Record<string, string>;
  let ports: Record<'gateway' | 'projector' | 'bridge' | 'worker', number>;

  beforeAll(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'rapport-cluster-'));
    // Broker n takes base + 2n and base + 1 + 2n (client and controller listeners).
    const base = await freePortRun(2 * BROKERS);
    cluster = loadConfig({
      RAPPORT_RUN_DIR: runDir,
      RAPPORT_EMBEDDED_KAFKA_BROKERS: String(BROKERS),
      RAPPORT_EMBEDDED_KAFKA_PORT: String(base),
      RAPPORT_EMBEDDED_KAFKA_CONTROLLER_PORT: String(base + 1),
      RAPPORT_TEMPORAL_ADDRESS: testInfra().temporalAddress,
      RAPPORT_REDIS_URL: testInfra().redisUrl,
    });
    await provideInfrastructure(cluster, { profile: 'test', docker: 'never' });
    const [gateway = 0, projector = 0, bridge = 0, worker = 0] = await freePorts(4);
    ports = { gateway, projector, bridge, worker };
    env = testEnvironment(names, {
      RAPPORT_KAFKA_BROKERS: cluster.kafka.brokers.join(','),
      RAPPORT_GATEWAY_PORT: String(gateway),
      RAPPORT_GATEWAY_PROCESSES: '1',
      RAPPORT_PROJECTOR_PORT: String(projector),
      RAPPORT_PROJECTOR_PROCESSES: '1',
      RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
      RAPPORT_BRIDGE_PORT: String(bridge),
      RAPPORT_BRIDGE_GROUP_ID: names.groupId('bridge'),
      RAPPORT_WORKER_PORT: String(worker),
      RAPPORT_WORKFLOW_BUNDLE: testInfra().workflowBundle,
      RAPPORT_LOG_LEVEL: 'warn',
    });
    for (const service of ['gateway', 'projector', 'bridge', 'worker'] as const) {
      children.push(spawnService(service, env));
    }
    await Promise.all(Object.values(ports).map((port) => untilReady(port, 90_000)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(children.map(killHard));
    if (cluster !== undefined) await stopInfrastructure(cluster);
    await rm(runDir, { recursive: true, force: true });
  });

  it('loses no acknowledged event: 503 while the cluster fails over, then the log projected and delivered exactly', async () => {
    const config = loadConfig(env);
    const topic = config.kafka.topics.interactions;
    const brokers = config.kafka.brokers;
    await withInspectingAdmin(async (admin) => {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      expect(metadata?.partitions.map((partition) => partition.replicas.length)).toEqual([3, 3, 3]);
    }, brokers);
    expect((await topicSettings(topic, brokers))['min.insync.replicas']).toBe('2');

    const events = Array.from({ length: CUSTOMERS * EVENTS_PER_CUSTOMER }, (_, index) =>
      canonical(`${names.id}-c${index % CUSTOMERS}`, index),
    );
    // 503 while Kafka fails over, 409 while an earlier attempt's publish is still in flight.
    const ingest = ingestRetrying(ports.gateway, events, {
      batchSize: BATCH,
      senders: SENDERS,
      retriable: ['KAFKA_UNAVAILABLE', 'IN_FLIGHT'],
    });

    // A third in, the broker leading the most of the log's partitions goes.
    await ingest.acknowledged(1 / 3);
    const leader = await withInspectingAdmin(async (admin) => {
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const leaders = (metadata?.partitions ?? []).map((partition) => partition.leader);
      const led = (node: number) => leaders.filter((leader) => leader === node).length;
      return leaders.toSorted((a, b) => led(b) - led(a))[0] ?? -1;
    }, brokers);
    const record = await runningProcess(runDir, kafkaNodeName(leader));
    expect(record, `broker ${leader}`).toBeDefined();
    process.kill(record?.pid ?? 0, 'SIGKILL');
    const killedAt = Date.now();
    await ingest.done;

    const after = ingest.since(killedAt);
    console.log(
      `[broker-failure] killed broker ${leader}; ${after.answers} answers after it, ` +
        `${after.refusals} of them refusals (${after.codes.join(', ')}), ` +
        `the last ${(after.lastRefusalMs / 1000).toFixed(1)} s after it`,
    );
    expect(after.codes).toContain('KAFKA_UNAVAILABLE');
    // Each event acknowledged once: a retry of an accepted event is a duplicate.
    expect(ingest.accepted()).toBe(events.length);

    // The log holds every acknowledged event and nothing else. A publish Kafka answered late
    // (or not at all) may still have been written: the producer's at-least-once window
    // (packages/kafka/src/producer.ts), which a failover opens wide. A retry then wrote those
    // events again, at other offsets. The projector skips a copy of a recent event by its
    // eventId, so every customer is exactly the fold of their events, each once.
    const { log, unique } = await expectLogProjectedOnce(config, ports.projector, events);
    console.log(`[broker-failure] the log holds ${log.length} records of ${events.length} events`);

    // The bridge and the workflows: every ledger exactly the fold of its customer's events, each
    // once; the log's copies of an event are skipped by its eventId, and counted as duplicates
    // (with any redelivery of the bridge's).
    const connection = await connectWithoutRetries({ address: testInfra().temporalAddress });
    try {
      const client = new Client({ connection, namespace: testInfra().temporalNamespace });
      for (const customerId of new Set(unique.map((event) => event.customerId))) {
        const own = unique.filter((event) => event.customerId === customerId);
        const copies = log.filter((event) => event.customerId === customerId).length - own.length;
        const { view } = await describedWhen(
          client,
          customerId,
          ({ view: { counts } }) => counts.applied >= own.length && counts.duplicates >= copies,
        );
        expect(view.counts.applied, customerId).toBe(own.length);
        const folded = own.reduce((state, event) => model.apply(state, event), model.empty());
        expectSameState(customerId, model.fromJSON(view.state), folded);
      }
    } finally {
      await connection.close();
    }
    for (const child of children) expect(child.exitCode, 'a service exited').toBeNull();
  }, 240_000);
});

/** A canonical event of no request and no exchange: nothing the workflows derive from it. */
function canonical(customerId: string, index: number) {
  return {
    eventId: `${customerId}-e${index}`,
    customerId,
    channel: 'web',
    type: 'page.viewed',
    direction: 'inbound',
    occurredAt: new Date(Date.now() - 60_000 + index).toISOString(),
  };
}
