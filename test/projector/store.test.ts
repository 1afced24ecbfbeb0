import {
  dataOf,
  EMPTY_EXTRAS,
  encodeData,
  encodeSnapshot,
  INDEX_CHUNK,
  Projection,
  type PositionedEvent,
} from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_TOPOLOGIES } from '../harness/index.js';
import { expectFolded, model, randomEvents, setup, type Setup } from './helpers.js';

/** Events as they would sit on one partition from `offset` on. */
const positioned = (
  events: ReturnType<typeof randomEvents>,
  partition: number,
  offset = 0,
): PositionedEvent[] =>
  events.map((value, index) => ({ partition, offset: String(offset + index), value }));

// The guarded write and the projection against real Redis, without Kafka: every interleaving a
// consumer group can produce (redelivery, overlap, zombies, partitions added) played on purpose.
/** These suites run with one index shard, the default. */
const ONE_SHARD = { index: 0, count: 1 };

describe.each(REDIS_TOPOLOGIES)('the guarded projection on $topology', ({ redis }) => {
  let t: Setup;
  const projection = (generation = '0', announce = true) =>
    new Projection(t.store.writer, model, { generation, groupId: 'g', follow: false, announce });

  beforeAll(async () => {
    t = await setup('store', {
      RAPPORT_HISTORY_LENGTH: '3',
      RAPPORT_TIMELINE_LENGTH: '4',
      ...redis(),
    });
  });
  afterAll(() => t.close());

  it('applies a batch once: the same batch again changes nothing and announces nothing', async () => {
    const events = randomEvents(200, 20, 1);
    const batch = positioned(events, 0);
    const first = await projection('1').project(0, batch, Date.now());
    expect(first).toMatchObject({ events: 200, duplicates: 0, customers: 20, conflicts: 0 });
    expect(first.changes).toHaveLength(20);
    const again = await projection('1').project(0, batch, Date.now());
    expect(again).toMatchObject({ events: 200, duplicates: 200, changes: [] });
    await expectFolded(t.store, '1', events);
    const stored = await t.store.reader.customer('1', events[0]?.customerId ?? '');
    expect(stored?.revision).toBe(1);
  });

  it('folds only what is newer than the stored position when batches overlap', async () => {
    const events = randomEvents(300, 10, 2);
    const all = positioned(events, 0);
    await projection('2').project(0, all.slice(0, 120), Date.now());
    const overlapping = await projection('2').project(0, all.slice(60, 300), Date.now());
    expect(overlapping.duplicates).toBe(60);
    await expectFolded(t.store, '2', events);
  });

  it('counts each event once when a zombie and the new owner project the same records at once', async () => {
    const events = randomEvents(400, 8, 3);
    const all = positioned(events, 1);
    const results = await Promise.all([
      projection('3').project(1, all.slice(0, 250), Date.now()),
      projection('3').project(1, all.slice(100, 400), Date.now()),
      projection('3').project(1, all, Date.now()),
    ]);
    expect(results.reduce((sum, result) => sum + result.conflicts, 0)).toBeGreaterThan(0);
    await expectFolded(t.store, '3', events);
  });

  it('keeps both partitions of a customer after the partition count grew', async () => {
    const events = randomEvents(300, 5, 4);
    const before = positioned(events.slice(0, 150), 0, 1_000);
    const after = positioned(events.slice(150), 2, 0);
    await Promise.all([
      projection('4').project(0, before, Date.now()),
      projection('4').project(2, after, Date.now()),
    ]);
    // Redelivery of either partition is still recognised, each by its own position.
    const again = await Promise.all([
      projection('4').project(0, before, Date.now()),
      projection('4').project(2, after, Date.now()),
    ]);
    expect(again.map((result) => result.duplicates)).toEqual([150, 150]);
    await expectFolded(t.store, '4', events);
    const stored = await t.store.reader.customer('4', events[0]?.customerId ?? '');
    expect([...(stored?.offsets.keys() ?? [])].sort()).toEqual([0, 2]);
  });

  it('projects several partitions in one go, a customer on two of them included', async () => {
    const events = randomEvents(600, 30, 9);
    const [first, second, third] = [
      events.slice(0, 200),
      events.slice(200, 400),
      events.slice(400),
    ];
    const result = await projection('9').projectAll(
      [
        { partition: 0, events: positioned(first, 0) },
        { partition: 1, events: positioned(second, 1) },
        { partition: 2, events: positioned(third, 2) },
      ],
      Date.now(),
    );
    expect(result).toMatchObject({ events: 600, duplicates: 0 });
    await expectFolded(t.store, '9', events);
    expect([...(await t.store.generations.progress('9', 'g'))].sort()).toEqual([
      [0, 199],
      [1, 199],
      [2, 199],
    ]);
  });

  it('re-indexes and announces once when a crash came between the write and the index', async () => {
    const [event] = randomEvents(1, 1, 5);
    if (!event) throw new Error('no event');
    const state = model.apply(model.empty(), event);
    const keys = t.store.keys;
    // What a projector that died right after its guarded write leaves behind.
    const [outcome] = await t.store.writer.commit('5', [
      {
        customerId: event.customerId,
        expectedRevision: 0,
        partition: 0,
        offset: 7,
        data: encodeData(state, EMPTY_EXTRAS, 0),
        snapshot: encodeSnapshot(model.headline(state, state.t)),
        timeline: [],
      },
    ]);
    expect(outcome).toEqual({ outcome: 'applied', revision: 1 });
    expect(await t.redis.hget(keys.index('5', ONE_SHARD).schedule, event.customerId)).toBeNull();

    const redelivered = await projection('5').project(
      0,
      [{ partition: 0, offset: '7', value: event }],
      Date.now(),
    );
    expect(redelivered).toMatchObject({ duplicates: 1 });
    expect(redelivered.changes).toHaveLength(1);
    expect(await t.redis.hget(keys.index('5', ONE_SHARD).schedule, event.customerId)).toMatch(
      /^1\|/,
    );
    const again = await projection('5').project(
      0,
      [{ partition: 0, offset: '7', value: event }],
      Date.now(),
    );
    expect(again.changes).toEqual([]);
  });

  it('indexes many customers per script call: the later revision wins, progress never moves back', async () => {
    const now = Date.now();
    const entry = (index: number, revision: number) => ({
      customerId: `many-${index}`,
      revision,
      coolingAt: now + index,
      atRiskAt: now + 2 * index,
      dormantAt: now + 3 * index + 1,
      change: JSON.stringify({ revision }),
    });
    const count = INDEX_CHUNK * 2 + 10;
    const first = Array.from({ length: count }, (_, index) => entry(index, 2));
    const ids = await t.store.writer.index('7', first, now, {
      groupId: 'g',
      offsets: [{ partition: 3, offset: 40 }],
    });
    expect(ids.filter((id) => id !== undefined)).toHaveLength(count);
    // A slower writer's older revision reaches the index afterwards: nothing moves or is announced.
    const older = await t.store.writer.index(
      '7',
      [entry(5, 1), entry(count - 1, 1), entry(count, 1)],
      now,
      {
        groupId: 'g',
        offsets: [{ partition: 3, offset: 12 }],
      },
    );
    expect(older.map((id) => id !== undefined)).toEqual([false, false, true]);
    const keys = t.store.keys.index('7', ONE_SHARD);
    expect(await t.redis.hget(keys.schedule, 'many-5')).toBe(
      `2|${now + 5}|${now + 10}|${now + 16}`,
    );
    expect(await t.redis.zcard(keys.dormant)).toBe(count + 1);
    expect(await t.redis.zscore(keys.atRisk, `many-${count - 1}`)).toBe(
      String(now + 2 * (count - 1)),
    );
    expect(await t.store.generations.progress('7', 'g')).toEqual(new Map([[3, 40]]));
  });

  it('refuses an older position and a stale revision in the script itself', async () => {
    const write = {
      customerId: 'guarded',
      expectedRevision: 0,
      partition: 3,
      offset: 10,
      data: '{}',
      snapshot: Buffer.alloc(0),
      timeline: [],
    };
    expect(await t.store.writer.commit('6', [write])).toEqual([
      { outcome: 'applied', revision: 1 },
    ]);
    expect(
      await t.store.writer.commit('6', [{ ...write, expectedRevision: 1, offset: 10 }]),
    ).toEqual([{ outcome: 'stale', revision: 1 }]);
    expect(
      await t.store.writer.commit('6', [{ ...write, expectedRevision: 0, offset: 11 }]),
    ).toEqual([{ outcome: 'conflict', revision: 1 }]);
    expect(
      await t.store.writer.commit('6', [{ ...write, expectedRevision: 1, offset: 11 }]),
    ).toEqual([{ outcome: 'applied', revision: 2 }]);
  });

  it('caps history and timeline and keeps the newest', async () => {
    const events = randomEvents(10, 1, 6);
    for (let index = 0; index < events.length; index += 1) {
      await projection('7').project(
        0,
        positioned(events.slice(index, index + 1), 0, index),
        Date.now(),
      );
    }
    const id = events[0]?.customerId ?? '';
    expect(await t.store.reader.history('7', id)).toHaveLength(3);
    const timeline = await t.store.reader.timeline('7', id, 100);
    expect(timeline.map((entry) => entry.eventId)).toEqual(
      events
        .slice(-4)
        .reverse()
        .map((event) => event.eventId),
    );
  });

  /** Projects `events[from..to)` into `generation`, one write each, as a trickle would. */
  const projectOneByOne = async (
    events: ReturnType<typeof randomEvents>,
    generation: string,
    from: number,
    to: number,
  ) => {
    for (let index = from; index < to; index += 1) {
      await projection(generation).project(
        0,
        positioned(events.slice(index, index + 1), 0, index),
        Date.now(),
      );
    }
  };

  /**
   * Rewrites a customer as a layout before this one kept it: its state in the hash's `d` and,
   * with `logs`, its history and timeline in the hash's `l` (without, in none: the caller writes
   * the lists), no data key.
   */
  const asLayoutBefore = async (keys: { record: string; data: string }, logs: boolean) => {
    const stored = await t.redis.getBuffer(keys.data);
    if (stored === null) throw new Error(`no ${keys.data}`);
    const { state, logs: bytes } = dataOf(stored);
    await t.redis.del(keys.data);
    await t.redis.hset(keys.record, logs ? { d: state, l: bytes } : { d: state });
  };

  it('reads a customer of the layout before from its hash, and moves it out when it next writes', async () => {
    const events = randomEvents(6, 1, 10);
    const id = events[0]?.customerId ?? '';
    const oneByOne = (generation: string, from: number, to: number) =>
      projectOneByOne(events, generation, from, to);
    // Generation 13 as the layout before left it after five writes: state, history and timeline
    // in the hash (`d`, `l`), which Redis then encodes as a table; generation 14 written by this
    // version.
    await oneByOne('13', 0, 5);
    const keys = t.store.keys.customer('13', id);
    const customer = await t.store.reader.customer('13', id);
    const history = await t.store.reader.history('13', id);
    const timeline = await t.store.reader.timeline('13', id, 100);
    await asLayoutBefore(keys, true);
    expect(await t.redis.exists(keys.data)).toBe(0);
    expect(await t.store.reader.customer('13', id)).toEqual(customer);
    expect(await t.store.reader.history('13', id)).toEqual(history);
    expect(await t.store.reader.timeline('13', id, 100)).toEqual(timeline);

    await oneByOne('13', 5, 6);
    await oneByOne('14', 0, 6);
    expect((await t.redis.hkeys(keys.record)).sort()).toEqual(['o', 'r']);
    expect(await t.redis.object('ENCODING', keys.record)).toBe('listpack');
    // The same bytes as a customer this version wrote, but for the write instant in the state.
    const logsOf = async (generation: string) => {
      const stored = await t.redis.getBuffer(t.store.keys.customer(generation, id).data);
      return stored && dataOf(stored).logs;
    };
    expect(await logsOf('13')).toEqual(await logsOf('14'));
    const { updatedAt: _at13, ...moved } = (await t.store.reader.customer('13', id)) ?? {};
    const { updatedAt: _at14, ...fresh } = (await t.store.reader.customer('14', id)) ?? {};
    expect(moved).toEqual(fresh);
    expect(await t.store.reader.history('13', id)).toEqual(await t.store.reader.history('14', id));
    expect(await t.store.reader.timeline('13', id, 100)).toEqual(
      await t.store.reader.timeline('14', id, 100),
    );
  });

  it('reads a customer of the layout before from its lists, and adopts them when it next writes', async () => {
    // Each later than the one before, so that no two history points share an instant: a list
    // of the layout before is then the served history reversed.
    const events = randomEvents(6, 1, 9).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    const id = events[0]?.customerId ?? '';
    const oneByOne = (generation: string, from: number, to: number) =>
      projectOneByOne(events, generation, from, to);
    // Generation 11 as the layout two before left it after five writes: the state in the hash,
    // history and timeline as lists of JSON, newest first; generation 12 written by this version.
    await oneByOne('11', 0, 5);
    const history = await t.store.reader.history('11', id);
    const timeline = await t.store.reader.timeline('11', id, 100);
    const keys = t.store.keys.customer('11', id);
    await asLayoutBefore(keys, false);
    await t.redis.rpush(
      keys.history,
      ...[...history]
        .reverse()
        .map(({ at, engagement, participation, trust, status, stage }) =>
          JSON.stringify([Date.parse(at), engagement, participation, trust, status, stage]),
        ),
    );
    await t.redis.rpush(keys.timeline, ...timeline.map((entry) => JSON.stringify(entry)));
    expect(await t.store.reader.history('11', id)).toEqual(history);
    expect(await t.store.reader.timeline('11', id, 100)).toEqual(timeline);

    await oneByOne('11', 5, 6);
    await oneByOne('12', 0, 6);
    expect(await t.redis.exists(keys.history, keys.timeline)).toBe(0);
    expect((await t.redis.hkeys(keys.record)).sort()).toEqual(['o', 'r']);
    expect(await t.redis.object('ENCODING', keys.record)).toBe('listpack');
    expect(await t.store.reader.history('11', id)).toEqual(await t.store.reader.history('12', id));
    expect(await t.store.reader.timeline('11', id, 100)).toEqual(
      await t.store.reader.timeline('12', id, 100),
    );
  });

  it('announces nothing while building a generation nobody reads', async () => {
    const events = randomEvents(50, 5, 8);
    const result = await projection('8', false).project(0, positioned(events, 0), Date.now());
    expect(result.changes).toEqual([]);
    await expectFolded(t.store, '8', events);
  });
});
