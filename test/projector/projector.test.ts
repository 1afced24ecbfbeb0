import { createKafka, DeadLetterSchema } from '@rapport/kafka';
import { sleep } from '../harness/index.js';
import { eventually, readAll, withInspectingAdmin } from '../kafka/helpers.js';
import { startProjector, type StartedProjector } from '@rapport/projector';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectFolded, projected, randomEvents, setup, silent, type Setup } from './helpers.js';

describe('the projector on Kafka and Redis', () => {
  let t: Setup;
  const running: StartedProjector[] = [];
  const start = async () => {
    const projector = await startProjector(t.config, silent(t.config), { port: 0 });
    running.push(projector);
    return projector;
  };

  beforeAll(async () => {
    t = await setup('projector');
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((projector) => projector.stop()));
  });
  afterAll(() => t.close());

  it('leaves every customer exactly as the model folds the same events', async () => {
    const events = randomEvents(3_000, 300, 11);
    const projector = await start();
    await t.publish(events);
    await projected(t.store, '0', events);
    await expectFolded(t.store, '0', events);

    const health = await fetch(`${projector.url}/readyz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${projector.url}/metrics`)).text();
    expect(metrics).toMatch(/rapport_projector_events_total\{outcome="applied"\} 3000/);
  });

  it('gives the same result with two projectors in one group through rebalances', async () => {
    const events = randomEvents(3_000, 300, 12).map((event) => ({
      ...event,
      customerId: `r-${event.customerId}`,
    }));
    const first = await start();
    await t.publish(events.slice(0, 1_000));
    const second = await start(); // joins: the group rebalances while records are in flight
    await t.publish(events.slice(1_000, 2_000));
    await sleep(300);
    await first.stop(); // leaves: the second takes every partition over
    running.splice(running.indexOf(first), 1);
    await t.publish(events.slice(2_000));
    await projected(t.store, '0', events);
    await expectFolded(t.store, '0', events);
    expect(second.follower.running).toBe(true);
    // One member per projector: none started a second consumer of its own while joining.
    await eventually(async () => expect(await groupMembers(t.config.projector.groupId)).toBe(1));
  });
});

describe('the projector and events it cannot project', () => {
  let t: Setup;
  beforeAll(async () => {
    t = await setup('projector-poison', { RAPPORT_POISON_ATTEMPTS: '2' });
  });
  afterAll(() => t.close());

  it('dead-letters the events of customers Redis or the model refuse, and projects every event around them', async () => {
    // Two customers no retry can project: Redis answers WRONGTYPE for one (its key holds a
    // string), and the model cannot read the other's stored state.
    const wrongType = `wrongtype-${t.names.id}`;
    const corrupt = `corrupt-${t.names.id}`;
    await t.redis.set(t.store.keys.customer('0', wrongType).record, 'not a hash');
    await t.redis.hset(t.store.keys.customer('0', corrupt).record, {
      r: '1',
      o: '',
      d: 'not the model’s bytes',
    });
    const good = randomEvents(600, 60, 21);
    const poison: StampedInteraction[] = [wrongType, corrupt, wrongType].map((customerId, n) => ({
      ...(good[n] as StampedInteraction),
      eventId: `poison-${n}-${t.names.id}`,
      customerId,
    }));
    const projector = await startProjector(t.config, silent(t.config), { port: 0 });
    try {
      await t.publish([
        ...good.slice(0, 200),
        ...poison.slice(0, 1),
        ...good.slice(200, 400),
        ...poison.slice(1),
        ...good.slice(400),
      ]);
      await projected(t.store, '0', good);
      await expectFolded(t.store, '0', good);

      const kafka = createKafka(t.config.kafka);
      const letters = await eventually(async () => {
        const read = (await readAll(kafka, t.config.kafka.topics.dlq)).map((record) =>
          DeadLetterSchema.parse(JSON.parse(record.value ?? 'null')),
        );
        expect(read).toHaveLength(poison.length);
        return read;
      });
      const byEvent = new Map(
        letters.map((letter) => [
          StampedInteractionSchema.parse(JSON.parse(letter.original)).eventId,
          letter,
        ]),
      );
      expect([...byEvent.keys()].sort()).toEqual(poison.map((event) => event.eventId).sort());
      for (const event of poison) {
        const letter = byEvent.get(event.eventId);
        expect(letter).toMatchObject({
          reason: { code: 'HANDLER_FAILED' },
          source: 'projector',
          customerId: event.customerId,
          context: {
            topic: t.config.kafka.topics.interactions,
            groupId: t.config.projector.groupId,
          },
        });
        expect(letter?.reason.message).toMatch(
          event.customerId === wrongType ? /WRONGTYPE/ : /is not a read-model record/,
        );
      }

      const ready = await fetch(`${projector.url}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { consumer: 'ok' } });
      const metrics = await (await fetch(`${projector.url}/metrics`)).text();
      expect(metrics).toMatch(
        /^rapport_projector_dead_lettered_total\{reason="HANDLER_FAILED"\} 3$/m,
      );
      expect(metrics).toMatch(/^rapport_projector_stalled_partitions 0$/m);
    } finally {
      await projector.stop();
    }
  });
});

function groupMembers(groupId: string): Promise<number> {
  return withInspectingAdmin(async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  });
}
