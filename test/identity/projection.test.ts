import { Projection, type PositionedEvent } from '@rapport/read-model';
import type { StampedInteraction } from '@rapport/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { model, setup, type Setup } from '../projector/helpers.js';
import { linkEvent } from './links.js';

/**
 * The read model's side of identity merges, on real Redis: the projection is fed positioned
 * events by hand, so that every order of the log's partitions and every redelivery can be
 * arranged exactly.
 */
let t: Setup;
beforeAll(async () => {
  t = await setup('identity-projection');
});
afterAll(async () => {
  await t.close();
});

const T0 = Date.parse('2026-11-01T09:00:00Z');
let generation = 0;

/** A projection of its own generation, and the positions of each partition it was fed. */
function rig() {
  const name = `g${(generation += 1)}`;
  const projection = new Projection(t.store.writer, model, {
    generation: name,
    groupId: `group-${name}`,
    follow: false,
    announce: true,
    identities: t.store.identities,
  });
  const next = new Map<number, number>();
  const positioned = (partition: number, events: readonly StampedInteraction[]) =>
    events.map((value): PositionedEvent => {
      const offset = next.get(partition) ?? 0;
      next.set(partition, offset + 1);
      return { partition, offset: String(offset), value };
    });
  return {
    generation: name,
    positioned,
    /** Feeds one partition's events; returns their positions for a redelivery. */
    async feed(partition: number, events: readonly StampedInteraction[]) {
      const batch = positioned(partition, events);
      await projection.project(partition, batch, T0 + 86_400_000);
      return batch;
    },
    redeliver: (batch: readonly PositionedEvent[]) =>
      projection.project(batch[0]?.partition ?? 0, batch, T0 + 86_400_000),
    read: (id: string) => t.store.reader.customer(name, id),
  };
}

let sequence = 0;
function event(customerId: string, type = 'email.replied', minutes = 0): StampedInteraction {
  sequence += 1;
  const at = new Date(T0 + (sequence + minutes) * 60_000).toISOString();
  return {
    eventId: `ev-${sequence}`,
    customerId,
    channel: 'email',
    type,
    direction: 'inbound',
    initiator: 'customer',
    occurredAt: at,
    receivedAt: at,
    source: 'http',
  };
}

function link(from: string, into: string): StampedInteraction {
  return linkEvent(from, into, event(into).occurredAt);
}

/** The state one customer would have with every one of these events folded once. */
const foldOf = (events: readonly StampedInteraction[]) =>
  events.reduce((state, each) => model.apply(state, each), model.empty());

async function expectExactly(
  r: ReturnType<typeof rig>,
  id: string,
  events: readonly StampedInteraction[],
) {
  const stored = await r.read(id);
  expect(stored?.mergedInto).toBeUndefined();
  const expected = foldOf(events);
  expect(stored?.state.n).toBe(expected.n);
  const now = T0 + 86_400_000;
  const [actual, wanted] = [model.headline(stored!.state, now), model.headline(expected, now)];
  expect(actual.engagement).toBeCloseTo(wanted.engagement, 9);
  expect(actual.participation).toBeCloseTo(wanted.participation, 9);
  expect(actual.status).toBe(wanted.status);
}

describe('identity merges in the read model', () => {
  it('merges a into b once, whatever arrives when, and redeliveries count nothing', async () => {
    const r = rig();
    const a = [event('a1'), event('a1', 'support.ticket_opened'), event('a1', 'page.viewed')];
    const b = [event('b1'), event('b1', 'email.opened')];
    const early = await r.feed(1, a);
    await r.feed(2, b);
    const merge = link('a1', 'b1');
    await r.feed(2, [merge]);
    const late = [event('a1', 'email.clicked')];
    const lateBatch = await r.feed(1, late);
    // A crash and redelivery of both partitions: every event is already in b1.
    await r.redeliver(early);
    await r.redeliver(lateBatch);
    await expectExactly(r, 'b1', [...a, ...b, merge, ...late]);
    expect((await r.read('a1'))?.mergedInto).toBe('b1');
  });

  it('is the same when the link is projected before any event of the merged id', async () => {
    const r = rig();
    const merge = link('a2', 'b2');
    await r.feed(2, [merge]);
    const a = [event('a2'), event('a2', 'support.ticket_opened')];
    const b = [event('b2')];
    await r.feed(1, a);
    await r.feed(2, b);
    await expectExactly(r, 'b2', [...a, ...b, merge]);
  });

  it('chains: a into b, then b into c, then late events of a land in c once', async () => {
    const r = rig();
    const a = [event('a3'), event('a3')];
    const b = [event('b3', 'email.opened')];
    const c = [event('c3', 'support.ticket_opened')];
    await r.feed(1, a);
    await r.feed(2, b);
    await r.feed(3, c);
    const first = link('a3', 'b3');
    const second = link('b3', 'c3');
    await r.feed(2, [first]);
    await r.feed(3, [second]);
    const late = [event('a3', 'email.clicked')];
    const batch = await r.feed(1, late);
    await r.redeliver(batch);
    await expectExactly(r, 'c3', [...a, ...b, ...c, first, second, ...late]);
  });

  it('absorbs a pointer whose survivor had not yet (a crash between the two steps)', async () => {
    const r = rig();
    const a = [event('a4'), event('a4')];
    await r.feed(1, a);
    await r.feed(2, [event('b4')]);
    // The link's projection stopped after turning a4 into a pointer: a late event of a4 finds
    // the pointer, and the survivor absorbs a4 before folding it.
    const stored = await r.read('a4');
    const empty = Buffer.from([]);
    const done = await t.store.writer.tombstone(r.generation, 'a4', stored!.revision, 'b4', empty);
    expect(done.outcome).toBe('applied');
    const late = [event('a4', 'email.clicked')];
    await r.feed(1, late);
    const b = await r.read('b4');
    expect(b?.state.n).toBe(4);
    // The link itself, redelivered, adds nothing but itself.
    await r.feed(2, [link('a4', 'b4')]);
    expect((await r.read('b4'))?.state.n).toBe(5);
  });

  it('counts a chain once when a crash left its middle a pointer not yet absorbed', async () => {
    const r = rig();
    const a = [event('a7'), event('a7')];
    const b = [event('b7', 'email.opened')];
    const c = [event('c7', 'support.ticket_opened')];
    await r.feed(1, a);
    await r.feed(2, b);
    await r.feed(3, c);
    const first = link('a7', 'b7');
    const firstBatch = await r.feed(2, [first]);
    // The link b7 → c7 got as far as making b7 a pointer when the projector died.
    const stored = await r.read('b7');
    const empty = Buffer.from([]);
    expect(
      (await t.store.writer.tombstone(r.generation, 'b7', stored!.revision, 'c7', empty)).outcome,
    ).toBe('applied');
    // Redelivered, the earlier link comes first: a7's state is in b7, on its way to c7.
    await r.redeliver(firstBatch);
    const second = link('b7', 'c7');
    await r.feed(3, [second]);
    await expectExactly(r, 'c7', [...a, ...b, ...c, first, second]);
  });

  it("keeps the merged id's timeline after the survivor's own, and a history point for the merge", async () => {
    const r = rig();
    const a = [event('a8'), event('a8', 'support.ticket_opened')];
    const b = [event('b8', 'email.opened')];
    await r.feed(1, a);
    await r.feed(2, b);
    const merge = link('a8', 'b8');
    await r.feed(2, [merge]);
    const timeline = await t.store.reader.timeline(r.generation, 'b8', 100);
    expect(timeline.map(({ eventId }) => eventId)).toEqual(
      [...a, ...b, merge].map(({ eventId }) => eventId).reverse(),
    );
    // b8's own write, the merge's, and the link's own.
    expect(await t.store.reader.history(r.generation, 'b8')).toHaveLength(3);
  });

  it('takes the merged id out of the lists', async () => {
    const r = rig();
    await r.feed(1, [event('a5')]);
    await r.feed(2, [event('b5')]);
    await r.feed(2, [link('a5', 'b5')]);
    const ids: string[] = [];
    for await (const chunk of t.store.reader.customerIds(r.generation, 100)) ids.push(...chunk);
    expect(ids.sort()).toEqual(['b5']);
  });

  it('skips the events of an erased customer', async () => {
    const r = rig();
    await t.store.identities.erase('gone-6');
    await r.feed(1, [event('gone-6'), event('kept-6')]);
    expect(await r.read('gone-6')).toBeUndefined();
    expect((await r.read('kept-6'))?.state.n).toBe(1);
  });
});
