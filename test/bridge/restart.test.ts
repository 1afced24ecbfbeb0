import type { ChildProcess } from 'node:child_process';
import { startBridge } from '@rapport/bridge';
import { createModel } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { createLogger } from '@rapport/lifecycle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnService, testInfra } from '../harness/index.js';
import { interaction, MINUTE } from '../workflows/helpers.js';
import { mergedInto } from '@rapport/workflows/client';
import { linkEvent } from '../identity/links.js';
import { startStack, type Stack } from './helpers.js';

const model = createModel();
/** Workflow queries in flight at once while the test checks every customer. */
const QUERIES_AT_ONCE = 24;
let stack: Stack;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // One partition: everything produced below is one batch, so a kill lands inside it.
  stack = await startStack('bridge-restart', { RAPPORT_TOPIC_PARTITIONS: '1' });
}, 60_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await stack?.stop();
});

/** The bridge as `rapport up` runs it: its own process, killable without a goodbye. */
async function spawnBridge(): Promise<ChildProcess> {
  const { config } = stack.rig;
  return spawnService('bridge', {
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_REDIS_URL: config.redis.url,
    RAPPORT_REDIS_KEY_PREFIX: config.redis.keyPrefix,
    RAPPORT_TEMPORAL_ADDRESS: testInfra().temporalAddress,
    RAPPORT_TEMPORAL_NAMESPACE: config.temporal.namespace,
    RAPPORT_TEMPORAL_TASK_QUEUE: config.temporal.taskQueue,
    RAPPORT_TOPIC_INTERACTIONS: config.kafka.topics.interactions,
    RAPPORT_TOPIC_DLQ: config.kafka.topics.dlq,
    RAPPORT_TOPIC_PARTITIONS: '1',
    RAPPORT_BRIDGE_GROUP_ID: config.bridge.groupId,
    RAPPORT_KAFKA_SESSION_TIMEOUT: String(config.kafka.sessionTimeoutMs) + 'ms',
    RAPPORT_KAFKA_HEARTBEAT_INTERVAL: String(config.kafka.heartbeatIntervalMs) + 'ms',
    RAPPORT_BRIDGE_PORT: String(await freePort()),
    // One signal at a time makes the batch last long enough to be cut in the middle.
    RAPPORT_BRIDGE_SIGNAL_CONCURRENCY: '1',
    RAPPORT_LOG_LEVEL: 'error',
  });
}

describe('bridge killed mid-batch (dev server, Kafka)', () => {
  it('counts every event exactly once after a restart', async () => {
    const now = Date.now() - MINUTE;
    // Enough customers that signalling them takes several rounds of the bridge's concurrency, so
    // the kill lands mid-batch however busy the machine is.
    const customers = Array.from({ length: 360 }, (_, index) => `k${index}-${stack.rig.names.id}`);
    const events: StampedInteraction[] = [];
    for (let index = 0; index < 1_080; index += 1) {
      events.push(
        interaction(customers[index % customers.length] ?? '', now + index, {
          type: index % 3 === 0 ? 'email.sent' : 'chat.message',
          direction: index % 3 === 0 ? 'outbound' : 'inbound',
          channel: 'chat',
        }),
      );
    }
    // Two identity links amid them (issue 21): k1 merges into k0, k3 into k2, each handed over
    // by its workflow while the bridge is killed and restarted.
    const survivors = new Map([
      [customers[1] ?? '', customers[0] ?? ''],
      [customers[3] ?? '', customers[2] ?? ''],
    ]);
    const spliced = [...survivors].map(([from, into], index) => ({
      from,
      into,
      at: 300 + 400 * index,
    }));
    for (const { from, into, at } of spliced.reverse()) {
      events.splice(at, 0, linkEvent(from, into, events[at]?.occurredAt ?? ''));
    }
    await stack.produce(events);

    child = await spawnBridge();
    // Customers are signalled in the order they first appear: once the third has its events,
    // the batch is under way and nothing of it is committed.
    const third = customers[2] ?? '';
    await stack.rig.until(third, ({ view }) => view.counts.applied > 0, 30_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    const last = customers.at(-1) ?? '';
    const lastBefore = await stack.rig.describe(last).catch(() => undefined);
    expect(lastBefore?.view.counts.applied ?? 0).toBe(0);

    const bridge = await startBridge(stack.rig.config, createLogger(stack.rig.config, 'bridge'), {
      port: 0,
    });
    try {
      // The new member gets the partition once the killed one's session times out.
      const survivorOf = (id: string) => survivors.get(id) ?? id;
      const own = (customerId: string) =>
        events.filter((event) => survivorOf(event.customerId) === customerId);
      await stack.rig.until(last, ({ view }) => view.counts.applied === own(last).length, 90_000);
      const exact = async (customerId: string) => {
        if (survivors.has(customerId)) {
          expect(await mergedInto(stack.rig.client, customerId)).toBe(survivorOf(customerId));
          return;
        }
        const { view } = await stack.rig.until(
          customerId,
          ({ view }) => view.counts.applied === own(customerId).length,
        );
        const folded = own(customerId).reduce(
          (state, event) => model.apply(state, event),
          model.empty(),
        );
        // A survivor's state is the merge of two folds: equal to the fold of both up to the
        // order in which floating-point sums were taken.
        if ([...survivors.values()].includes(customerId)) {
          expect(view.state.n).toBe(folded.n);
          expect(view.reading.engagement).toBeCloseTo(
            model.headline(folded, view.asOf).engagement,
            6,
          );
        } else expect(view.state).toEqual(model.toJSON(folded));
      };
      // Asked a few dozen at a time: one after another, 360 customers' queries were a third of
      // the test's time.
      for (let start = 0; start < customers.length; start += QUERIES_AT_ONCE) {
        await Promise.all(customers.slice(start, start + QUERIES_AT_ONCE).map(exact));
      }
      // Whether the restart also redelivered events the killed bridge had already signalled
      // depends on where kafkajs cut its fetches; either way the watermark makes each count once,
      // which the equality with the fold above checks for every customer.
    } finally {
      await bridge.stop();
    }
  });
});
