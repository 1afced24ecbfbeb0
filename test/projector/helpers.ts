import type { Config } from '@rapport/config';
import {
  createInteractionProducer,
  createKafka,
  provisionTopics,
  type InteractionProducer,
} from '@rapport/kafka';
import {
  createModel,
  DEFAULT_CHANNELS,
  seededRandom,
  type Model,
  type State,
} from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { createLogger } from '@rapport/lifecycle';
import {
  connectReadModel,
  connectRedis,
  ReadModel,
  readModelOptions,
  type RedisClient,
} from '@rapport/read-model';
import { expect } from 'vitest';
import {
  spawnService,
  testConfig,
  testEnvironment,
  uniqueNames,
  type UniqueNames,
} from '../harness/index.js';
import { eventually, readEvents, uniqueById } from '../kafka/helpers.js';

export const model: Model = createModel();
export const silent = (config: Config) => createLogger(config, 'test');

export interface Setup {
  readonly names: UniqueNames;
  readonly config: Config;
  readonly producer: InteractionProducer;
  readonly redis: RedisClient;
  readonly store: ReadModel;
  publish(events: readonly StampedInteraction[]): Promise<void>;
  close(): Promise<void>;
}

/** This file's own topics and key prefix, a connected producer and a read model on them. */
export async function setup(label: string, overrides: Record<string, string> = {}): Promise<Setup> {
  const names = uniqueNames(label);
  const config = testConfig(names, {
    RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
    ...overrides,
  });
  const kafka = createKafka(config.kafka);
  await provisionTopics(kafka, config.kafka);
  const producer = createInteractionProducer(kafka, config.kafka);
  await producer.connect();
  const redis = connectRedis(config.redis);
  const store = new ReadModel(redis, model, readModelOptions(config));
  return {
    names,
    config,
    producer,
    redis,
    store,
    async publish(events) {
      for (let start = 0; start < events.length; start += 500) {
        await producer.publish(events.slice(start, start + 500), { timeoutMs: 20_000 });
      }
    },
    async close() {
      await producer.disconnect();
      redis.disconnect();
    },
  };
}

/** The variables a projector process reads, for the same servers and names as testConfig. */
export const testEnv = (names: UniqueNames, overrides: Record<string, string> = {}) =>
  testEnvironment(names, {
    RAPPORT_PROJECTOR_GROUP_ID: names.groupId('projector'),
    RAPPORT_LOG_LEVEL: 'warn',
    ...overrides,
  });

const TYPES = [
  ['email.sent', 'outbound'],
  ['email.opened', 'inbound'],
  ['email.replied', 'inbound'],
  ['support.ticket_opened', 'inbound'],
  ['support.ticket_resolved', 'outbound'],
  ['support.complaint', 'inbound'],
  ['chat.message', 'inbound'],
  ['chat.message', 'outbound'],
  ['page.viewed', 'inbound'],
  ['purchase.completed', 'inbound'],
  ['subscription.cancelled', 'inbound'],
  ['quest.completed', 'inbound'],
  ['sla.met', 'outbound'],
  ['sla.missed', 'outbound'],
  ['engagement.drop_detected', 'outbound'],
  ['followup.started', 'outbound'],
  ['followup.finished', 'outbound'],
] as const;
const CHANNELS = [...Object.keys(DEFAULT_CHANNELS), 'kiosk'];
const DAY = 86_400_000;

/**
 * Random events over `customers` customers and the last 120 days, derived events included (the
 * engine's, stamped `engine`), some with sentiment, value or outcome; out of time order, as a
 * log of many channels is.
 */
export function randomEvents(
  count: number,
  customers: number,
  seed: number,
  now = Date.now(),
): StampedInteraction[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return Array.from({ length: count }, (_, index) => {
    const [type, direction] = pick(TYPES);
    const derived = ['sla', 'engagement', 'followup'].includes(type.split('.')[0] ?? '');
    const occurredAt = new Date(now - Math.floor(next() * 120 * DAY)).toISOString();
    return {
      eventId: `e-${seed}-${index}`,
      customerId: `customer-${Math.floor(next() * customers)}`,
      channel: pick(CHANNELS),
      type,
      direction,
      occurredAt,
      receivedAt: new Date(now).toISOString(),
      source: derived ? 'engine' : 'http',
      ...(next() < 0.3 ? { sentiment: Math.round((next() * 2 - 1) * 100) / 100 } : {}),
      ...(next() < 0.1 ? { value: Math.round(next() * 5000) / 100 } : {}),
      ...(next() < 0.05 ? { outcome: next() < 0.5 ? 'kept' : 'broken' } : {}),
    } satisfies StampedInteraction;
  });
}

/** The model's fold of each customer's events, in a shuffled order (the fold ignores order). */
export function expectedStates(events: readonly StampedInteraction[]): Map<string, State> {
  const next = seededRandom(7);
  const shuffled = [...events].sort(() => next() - 0.5);
  const states = new Map<string, State>();
  for (const event of shuffled) {
    states.set(event.customerId, model.apply(states.get(event.customerId) ?? model.empty(), event));
  }
  return states;
}

/** Equal within 1e-9 relative (the fold's order-independence bound), else a readable failure. */
export function expectSameState(customerId: string, actual: State, expected: State): void {
  const [a, b] = [model.toJSON(actual), model.toJSON(expected)];
  const scale = Math.max(...a.r, ...b.r, ...a.l, ...b.l);
  const close = (x: unknown, y: unknown): boolean => {
    if (typeof x === 'number' && typeof y === 'number') {
      return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y), scale);
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      return x.length === y.length && x.every((item, index) => close(item, y[index]));
    }
    if (typeof x === 'object' && x !== null && typeof y === 'object' && y !== null) {
      const keys = Object.keys(x).sort();
      return (
        JSON.stringify(keys) === JSON.stringify(Object.keys(y).sort()) &&
        keys.every((key) => close(Reflect.get(x, key), Reflect.get(y, key)))
      );
    }
    return x === y;
  };
  expect(
    close(a, b),
    `${customerId}\nstored   ${JSON.stringify(a)}\nexpected ${JSON.stringify(b)}`,
  ).toBe(true);
}

/** Every customer in Redis exactly as the model folds the events (no double count, no loss). */
export async function expectFolded(
  store: ReadModel,
  generation: string,
  events: readonly StampedInteraction[],
): Promise<void> {
  const expected = expectedStates(events);
  const ids = [...expected.keys()];
  const stored = await store.reader.customers(generation, ids);
  ids.forEach((id, index) => {
    const customer = stored[index];
    expect(customer, `${id} is not stored`).toBeDefined();
    if (customer) expectSameState(id, customer.state, expected.get(id) ?? model.empty());
  });
}

/** Resolves once every customer has folded as many events as were published to it. */
export async function projected(
  store: ReadModel,
  generation: string,
  events: readonly Pick<StampedInteraction, 'customerId'>[],
  timeoutMs = 60_000,
): Promise<void> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.customerId, (counts.get(event.customerId) ?? 0) + 1);
  const ids = [...counts.keys()];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await store.reader.customers(generation, ids);
    const behind = ids.filter((id, index) => (stored[index]?.state.n ?? 0) < (counts.get(id) ?? 0));
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${behind.length} customers not projected in ${timeoutMs} ms, e.g. ${behind[0]}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Events a projector process counted on its /metrics: applied, and duplicates skipped. */
async function projectorEvents(port: number): Promise<{ applied: number; duplicates: number }> {
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const count = (outcome: string) =>
    Number(
      new RegExp(`^rapport_projector_events_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(
        metrics,
      )?.[1] ?? 0,
    );
  return { applied: count('applied'), duplicates: count('duplicate') };
}

/**
 * Once the projector on `port` has handled every record of `log` into generation 0: every
 * customer is the fold of their events, each once, the log's copies of an event skipped.
 */
export async function expectProjectedOnce(
  store: ReadModel,
  port: number,
  log: readonly StampedInteraction[],
): Promise<void> {
  const unique = uniqueById(log);
  await projected(store, '0', unique, 90_000);
  // A batch that failed after some of its writes counts those as duplicates when it comes again,
  // so only the sum is exact.
  await eventually(async () => {
    const handled = await projectorEvents(port);
    expect(handled.applied + handled.duplicates).toBeGreaterThanOrEqual(log.length);
    expect(handled.applied).toBeLessThanOrEqual(unique.length);
  }, 30_000);
  await expectFolded(store, '0', unique);
}

/**
 * After an ingest through failures: the log holds every one of `sent` (copies allowed, nothing
 * else), and once the projector on `port` has handled it, the read model folds each once.
 */
export async function expectLogProjectedOnce(
  config: Config,
  port: number,
  sent: readonly { readonly eventId: string }[],
): Promise<{ log: StampedInteraction[]; unique: StampedInteraction[] }> {
  const log = await readEvents(createKafka(config.kafka), config.kafka.topics.interactions);
  const unique = uniqueById(log);
  expect(unique.map((event) => event.eventId).toSorted()).toEqual(
    sent.map((event) => event.eventId).toSorted(),
  );
  const store = connectReadModel(config, model);
  try {
    await expectProjectedOnce(store, port, log);
  } finally {
    await store.close();
  }
  return { log, unique };
}

export const spawnProjector = (env: Record<string, string>) => spawnService('projector', env);
