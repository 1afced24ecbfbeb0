import type { ConsumedBatch, DeadLetter, ParsedRecord } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';
import { createLogger } from '@rapport/lifecycle';
import type { Delivery } from '@rapport/workflows';
import { ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { coalesce, MAX_EVENTS_PER_SIGNAL } from './coalesce.js';
import { deliverBatch, notNow, refusedForGood, type DeliveryDeps } from './deliver.js';
import { Limiter } from './limiter.js';
import { createMetrics } from './metrics.js';
import { RateWindow } from './rate.js';

const logger = createLogger({ logLevel: 'silent' }, 'bridge-test');

function record(
  customerId: string,
  offset: number,
  partition = 2,
): ParsedRecord<StampedInteraction> {
  const at = new Date(Date.UTC(2027, 0, 1) + offset).toISOString();
  return {
    topic: 'interactions',
    partition,
    offset: String(offset),
    key: customerId,
    timestampMs: Date.now(),
    value: {
      eventId: `e${offset}`,
      customerId,
      channel: 'email',
      type: 'email.replied',
      direction: 'inbound',
      occurredAt: at,
      receivedAt: at,
      source: 'http',
    },
  };
}

function batchOf(
  records: ParsedRecord<StampedInteraction>[],
  beats: { count: number },
  done: string[] = [],
) {
  const batch: ConsumedBatch<StampedInteraction> = {
    topic: 'interactions',
    partition: 2,
    records,
    markDone: (record) => void done.push(record.offset),
    heartbeat: () => {
      beats.count += 1;
      return Promise.resolve();
    },
  };
  return batch;
}

function deps(overrides: Partial<DeliveryDeps>): DeliveryDeps {
  return {
    signal: () => Promise.resolve(),
    deadLetter: () => Promise.resolve(),
    limiter: new Limiter(8),
    metrics: createMetrics(),
    logger,
    groupId: 'bridge',
    stopping: new AbortController().signal,
    backoff: { initialMs: 1, maxMs: 5 },
    ...overrides,
  };
}

const grpcError = (code: number, message: string) =>
  new ServiceError(message, {
    cause: Object.assign(new Error(`${code} ${message}`), { code, details: '', metadata: {} }),
  });
const invalidArgument = () => grpcError(3, 'INVALID_ARGUMENT');

describe('coalesce', () => {
  it('one group per customer, in offset order, with partition and offset, split past the cap', () => {
    const records = [record('a', 10), record('b', 11), record('a', 12), record('a', 13)];
    expect(coalesce(records, 2)).toEqual([
      {
        customerId: 'a',
        signals: [
          [
            { partition: 2, offset: '10', event: records[0]?.value },
            { partition: 2, offset: '12', event: records[2]?.value },
          ],
          [{ partition: 2, offset: '13', event: records[3]?.value }],
        ],
      },
      { customerId: 'b', signals: [[{ partition: 2, offset: '11', event: records[1]?.value }]] },
    ]);
  });
});

describe('deliverBatch', () => {
  it('sends one signal per customer, never two at once for one customer', async () => {
    const inFlight = new Set<string>();
    const sent: [string, string[]][] = [];
    const records = Array.from({ length: 30 }, (_, index) => record(`c${index % 3}`, index));
    await deliverBatch(
      batchOf(records, { count: 0 }),
      deps({
        signal: async (customerId, deliveries) => {
          expect(inFlight.has(customerId)).toBe(false);
          inFlight.add(customerId);
          await new Promise((resolve) => setTimeout(resolve, 5));
          inFlight.delete(customerId);
          sent.push([customerId, deliveries.map((delivery) => delivery.offset)]);
        },
      }),
    );
    expect(sent.map(([customerId]) => customerId).sort()).toEqual(['c0', 'c1', 'c2']);
    expect(sent.find(([customerId]) => customerId === 'c1')?.[1]).toEqual([
      '1',
      '4',
      '7',
      '10',
      '13',
      '16',
      '19',
      '22',
      '25',
      '28',
    ]);
  });

  it("sends the busiest customer's signals first, one after the other, none queued behind the rest", async () => {
    // Three signals' worth for `hot` (past the cap of MAX_EVENTS_PER_SIGNAL), after the others'.
    const quiet = ['b', 'c', 'd'].map((customerId, index) => record(customerId, index));
    const hot = Array.from({ length: 2 * MAX_EVENTS_PER_SIGNAL + 1 }, (_, index) =>
      record('hot', quiet.length + index),
    );
    const order: string[] = [];
    await deliverBatch(
      batchOf([...quiet, ...hot], { count: 0 }),
      deps({
        limiter: new Limiter(1),
        signal: async (customerId) => {
          order.push(customerId);
          await new Promise((resolve) => setTimeout(resolve, 1));
        },
      }),
    );
    expect(order).toEqual(['hot', 'hot', 'hot', 'b', 'c', 'd']);
  });

  it('retries with back-off while Temporal is unavailable, heartbeating, and counts once', async () => {
    const beats = { count: 0 };
    let attempts = 0;
    const metrics = createMetrics();
    await deliverBatch(
      batchOf([record('a', 1), record('a', 2)], beats),
      deps({
        metrics,
        heartbeatMs: 5,
        backoff: { initialMs: 10, maxMs: 20 },
        signal: () => {
          attempts += 1;
          return attempts < 4 ? Promise.reject(new Error('14 UNAVAILABLE')) : Promise.resolve();
        },
      }),
    );
    expect(attempts).toBe(4);
    expect(beats.count).toBeGreaterThan(0);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/rapport_bridge_signal_retries_total 3/);
    expect(text).toMatch(/rapport_bridge_events_total 2/);
    expect(text).toMatch(/rapport_bridge_signals_total 1/);
    expect(text).toMatch(/rapport_bridge_events_per_signal_sum 2/);
  });

  it('dead-letters the events of a signal Temporal refuses for good, and goes on', async () => {
    const letters: DeadLetter[] = [];
    const delivered: Delivery[][] = [];
    const metrics = createMetrics();
    await deliverBatch(
      batchOf([record('big', 1), record('ok', 2)], { count: 0 }),
      deps({
        metrics,
        signal: (customerId, deliveries) => {
          if (customerId === 'big') return Promise.reject(invalidArgument());
          delivered.push([...deliveries]);
          return Promise.resolve();
        },
        deadLetter: (batch) => {
          letters.push(...batch);
          return Promise.resolve();
        },
      }),
    );
    expect(delivered).toHaveLength(1);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      source: 'bridge',
      customerId: 'big',
      reason: { code: 'SIGNAL_REFUSED' },
      context: { topic: 'interactions', partition: 2, offset: '1', groupId: 'bridge' },
    });
    expect(JSON.parse(letters[0]?.original ?? '')).toMatchObject({ eventId: 'e1' });
    expect(
      await metrics.registry.getSingleMetricAsString('rapport_bridge_dead_lettered_total'),
    ).toMatch(/^rapport_bridge_dead_lettered_total\{reason="SIGNAL_REFUSED"\} 1$/m);
  });

  it('fails the batch when a signal fails while the environment answers, once the other customers settled', async () => {
    const done: string[] = [];
    const sent: string[] = [];
    let probes = 0;
    const refused = new Error('Workflow execution already started');
    const failing = deliverBatch(
      batchOf(
        [record('a', 1), record('poison', 2), record('b', 3), record('a', 4)],
        { count: 0 },
        done,
      ),
      deps({
        signal: async (customerId) => {
          if (customerId === 'poison') throw refused;
          await new Promise((resolve) => setTimeout(resolve, 20));
          sent.push(customerId);
        },
        environment: () => {
          probes += 1;
          return Promise.resolve();
        },
      }),
    );
    await expect(failing).rejects.toBe(refused);
    // Once, at once: the consumer retries the batch, and dead-letters what keeps failing.
    expect(probes).toBe(1);
    expect(sent.sort()).toEqual(['a', 'b']);
    // What was delivered is finished: a retry sends only the failing customer's records.
    expect(done.sort()).toEqual(['1', '3', '4']);
  });

  it('waits in place while the environment does not answer', async () => {
    let attempts = 0;
    let probes = 0;
    const metrics = createMetrics();
    await deliverBatch(
      batchOf([record('a', 1)], { count: 0 }),
      deps({
        metrics,
        signal: () => {
          attempts += 1;
          return attempts < 3 ? Promise.reject(new Error('14 UNAVAILABLE')) : Promise.resolve();
        },
        environment: () => {
          probes += 1;
          return Promise.reject(new Error('Temporal does not answer'));
        },
      }),
    );
    expect([attempts, probes]).toEqual([3, 2]);
    expect(
      await metrics.registry.getSingleMetricAsString('rapport_bridge_signal_retries_total'),
    ).toMatch(/ 2$/m);
  });

  it('stops retrying when the bridge stops, so the batch is not committed', async () => {
    const stopping = new AbortController();
    const pending = deliverBatch(
      batchOf([record('a', 1)], { count: 0 }),
      deps({ stopping: stopping.signal, signal: () => Promise.reject(new Error('UNAVAILABLE')) }),
    );
    setTimeout(() => stopping.abort(new Error('stopping')), 20);
    await expect(pending).rejects.toThrow('stopping');
  });

  it('hands a rebalance seen by heartbeat() back to the consumer', async () => {
    const rebalance = Object.assign(new Error('The group is rebalancing'), {
      name: 'KafkaJSProtocolError',
    });
    const batch = {
      ...batchOf([record('a', 1)], { count: 0 }),
      heartbeat: () => Promise.reject(rebalance),
    };
    await expect(
      deliverBatch(
        batch,
        deps({ heartbeatMs: 5, signal: () => Promise.reject(new Error('UNAVAILABLE')) }),
      ),
    ).rejects.toBe(rebalance);
  });
});

describe('refusedForGood', () => {
  it('is only an invalid request', () => {
    expect(refusedForGood(invalidArgument())).toBe(true);
    expect(refusedForGood(new ServiceError('unavailable'))).toBe(false);
    expect(refusedForGood(new Error('socket hang up'))).toBe(false);
  });
});

describe('notNow', () => {
  it('is a status of a server that cannot take the call now, never a refusal of the call', () => {
    for (const code of [1, 4, 8, 10, 14]) expect(notNow(grpcError(code, 'not now'))).toBe(true);
    // INTERNAL: what Temporal answered an id it could not unmarshal, for that record only.
    expect(notNow(grpcError(13, 'INTERNAL'))).toBe(false);
    expect(notNow(invalidArgument())).toBe(false);
    expect(notNow(new Error('socket hang up'))).toBe(false);
  });
});

describe('deliverBatch, merged customers', () => {
  const merged = (customerId: string) =>
    new WorkflowExecutionAlreadyStartedError(
      'Workflow execution already started',
      `customer:${customerId}`,
      'customerEngagement',
    );

  it("sends a merged customer's deliveries to its survivor, the same deliveries at once", async () => {
    const sent: [string, string[]][] = [];
    const closed = new Map([
      ['a', 'b'],
      ['b', 'c'],
    ]);
    const metrics = createMetrics();
    await deliverBatch(
      batchOf([record('a', 1), record('a', 2), record('x', 3)], { count: 0 }),
      deps({
        metrics,
        signal: (customerId, deliveries) => {
          if (closed.has(customerId)) return Promise.reject(merged(customerId));
          sent.push([customerId, deliveries.map((delivery) => delivery.offset)]);
          return Promise.resolve();
        },
        // The chain is followed by the helper (survivorOf): a → b → c.
        survivorOf: (customerId) => {
          let id = customerId;
          while (closed.has(id)) id = closed.get(id) ?? id;
          return Promise.resolve(id);
        },
      }),
    );
    expect(sent.sort()).toEqual([
      ['c', ['1', '2']],
      ['x', ['3']],
    ]);
    expect(
      await metrics.registry.getSingleMetricAsString('rapport_bridge_signal_retries_total'),
    ).toMatch(/ 0$/m);
  });

  it('retries with back-off while the survivor cannot be read', async () => {
    let lookups = 0;
    const sent: string[] = [];
    await deliverBatch(
      batchOf([record('a', 1)], { count: 0 }),
      deps({
        signal: (customerId) => {
          if (customerId === 'a') return Promise.reject(merged('a'));
          sent.push(customerId);
          return Promise.resolve();
        },
        survivorOf: () => {
          lookups += 1;
          return lookups < 3 ? Promise.reject(new Error('unavailable')) : Promise.resolve('b');
        },
      }),
    );
    expect(lookups).toBe(3);
    expect(sent).toEqual(['b']);
  });
});

describe('Limiter', () => {
  it('runs at most its limit at once', async () => {
    const limiter = new Limiter(2);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(2);
  });
});

describe('RateWindow', () => {
  it('averages the last ten full seconds', () => {
    const window = new RateWindow();
    const t0 = 1_000_000_000;
    for (let second = 0; second < 20; second += 1) window.add(50, t0 + second * 1000);
    expect(window.perSecond(t0 + 19_500)).toBe(50);
    expect(window.perSecond(t0 + 60_000)).toBe(0);
  });
});
