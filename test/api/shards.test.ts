import { createKafka } from '@rapport/kafka';
import {
  eraseFromReadModel,
  indexShards,
  ReadModel,
  readModelOptions,
  rebuildGeneration,
  scanKeys,
} from '@rapport/read-model';
import type { StampedInteraction } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_TOPOLOGIES } from '../harness/index.js';
import { model, randomEvents } from '../projector/helpers.js';
import { expectStreamResumes, pages, startTestApi, type TestApi } from './helpers.js';

const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const DAY = 86_400_000;
const SHARDS = 4;

/** Customers whose one event is the same, at the same instant: equal scores, which ids order. */
const twins = (count: number): StampedInteraction[] =>
  Array.from({ length: count }, (_, n) => ({
    eventId: `twin-${n}`,
    customerId: `twin-${String(n).padStart(2, '0')}`,
    channel: 'email',
    type: 'email.replied',
    direction: 'inbound',
    occurredAt: new Date(NOW - 9 * DAY).toISOString(),
    receivedAt: new Date(NOW).toISOString(),
    source: 'http',
  }));

/**
 * The same events in a store of one index shard and in one of four: what the four-shard API
 * answers must be what the one-shard API answers, page by page.
 */
describe.each(REDIS_TOPOLOGIES)('index shards on $topology', ({ redis }) => {
  let one: TestApi;
  let four: TestApi;
  const events = [...randomEvents(1_200, 160, 77, NOW), ...twins(40)];

  beforeAll(async () => {
    [one, four] = await Promise.all([
      startTestApi('shards-1', redis(), () => NOW),
      startTestApi(
        'shards-4',
        { RAPPORT_REDIS_INDEX_SHARDS: String(SHARDS), ...redis() },
        () => NOW,
      ),
    ]);
    // A new store: its first generation is recorded with the configured count.
    expect((await four.store.generations.establish()).shards).toBe(SHARDS);
    await Promise.all([one.project(events, NOW), four.project(events, NOW)]);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), four?.stop()]);
  });

  it('spreads the indexes over the shards, and pages them exactly as one index', async () => {
    const sizes = await Promise.all(
      indexShards(SHARDS).map((shard) =>
        four.redis.zcard(four.store.keys.index('0', shard).dormant),
      ),
    );
    expect(sizes.every((size) => size > 0)).toBe(true);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(200);
    for (const query of [
      'sort=-dormant_at',
      'sort=dormant_at',
      'status=at_risk&sort=at_risk_at',
      'status=engaged,cooling&sort=-at_risk_at',
    ]) {
      const whole = await pages(one, query, 200);
      for (const limit of [7, 23]) expect(await pages(four, query, limit)).toEqual(whole);
    }
    const all = await pages(one, 'sort=-dormant_at', 200);
    expect(all.filter((item) => item.customerId.startsWith('twin-'))).toHaveLength(40);
  });

  it('counts the same summary', async () => {
    const [a, b] = await Promise.all([one.get('/v1/summary'), four.get('/v1/summary')]);
    expect(await b.json()).toEqual(await a.json());
  });

  it("streams every shard's changes; a client resuming from an event's id misses and repeats nothing", async () => {
    await expectStreamResumes(four, {
      customers: 12,
      seed: 31,
      now: NOW,
      onFirst: (first) => expect(first.events.at(-1)?.id?.split('.')).toHaveLength(SHARDS),
    });
  });

  it("erases a customer's entries from its shard's indexes and from every change stream", async () => {
    const victim = 'twin-07';
    const erased = await eraseFromReadModel(four.redis, four.store.keys, [victim]);
    expect(erased.indexEntries).toBe(1);
    expect(erased.changes).toBe(1);
    for (const shard of indexShards(SHARDS)) {
      const keys = four.store.keys.index('0', shard);
      expect(await four.redis.hget(keys.schedule, victim)).toBeNull();
      expect(await four.redis.zscore(keys.dormant, victim)).toBeNull();
      const entries = await four.redis.xrange(four.store.keys.changes(shard), '-', '+');
      expect(entries.filter(([, fields]) => fields[1] === victim)).toEqual([]);
    }
    const listed = await pages(four, 'sort=-dormant_at', 200);
    expect(listed.map((item) => item.customerId)).not.toContain(victim);
  });

  it('replays a one-shard generation into one of the configured count, which readers follow', async () => {
    const before = await pages(one, 'sort=-dormant_at', 200);
    await one.publish(events);
    // What `startTestApi` projected recorded no real offsets: the replay waits for the log only.
    const groupId = one.config.projector.groupId;
    await one.redis.del(one.store.keys.progress('0', groupId, { index: 0, count: 1 }));
    const replaying = new ReadModel(one.redis, model, {
      ...readModelOptions(one.config),
      indexShards: SHARDS,
    });
    const result = await rebuildGeneration(createKafka(one.config.kafka), replaying, model, {
      topic: one.config.kafka.topics.interactions,
      dlq: { producer: one.producer, source: 'replay' },
      keepOld: false,
      oldGenerationGraceMs: 0,
    });
    expect(result.to.shards).toBe(SHARDS);
    expect(await one.store.generations.pointer()).toEqual(result.to);
    const left: string[] = [];
    for (const pattern of one.store.keys.generationPatterns('0')) {
      for await (const keys of scanKeys(one.redis, pattern, 1_000)) left.push(...keys);
    }
    expect(left).toEqual([]);
    // The API, configured with one shard, reads the new generation with its recorded four.
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // its pointer cache
    expect(await pages(one, 'sort=-dormant_at', 50)).toEqual(before);
  });
});
