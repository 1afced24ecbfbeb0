import { sleep } from '../harness/index.js';
import { eventually, withInspectingAdmin } from '../kafka/helpers.js';
import { startProjector, type StartedProjector } from '@rapport/projector';
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

function groupMembers(groupId: string): Promise<number> {
  return withInspectingAdmin(async (admin) => {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.members.length ?? 0;
  });
}
