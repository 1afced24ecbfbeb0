import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectPoolStops,
  expectWorkerReplaced,
  freePort,
  killHard,
  untilReady,
} from '../harness/index.js';
import { eventually } from '../kafka/helpers.js';
import {
  expectFolded,
  projected,
  randomEvents,
  setup,
  spawnProjector,
  testEnv,
  type Setup,
} from './helpers.js';

describe('the projector as a pool of worker processes', () => {
  let t: Setup;
  let primary: ChildProcess | undefined;
  beforeAll(async () => {
    t = await setup('pool');
  });
  afterAll(async () => {
    if (primary) await killHard(primary);
    await t.close();
  });

  it('shares the partitions, serves one aggregated ops port, replaces a dead worker and stops them all', async () => {
    const port = await freePort();
    primary = spawnProjector(
      testEnv(t.names, { RAPPORT_PROJECTOR_PORT: String(port), RAPPORT_PROJECTOR_PROCESSES: '2' }),
    );
    expect(await untilReady(port)).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok', consumer: 'ok', workers: 'ok' },
    });

    const events = randomEvents(4_000, 200, 5);
    const [first, second] = [events.slice(0, 2_000), events.slice(2_000)];
    await t.publish(first);
    await projected(t.store, '0', first);
    // Each worker counted its own share; the primary's /metrics sums them. A worker counts a
    // batch once its whole projection returned, a moment after its state became readable.
    await eventually(async () =>
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
        new RegExp(`^rapport_projector_events_total\\{outcome="applied"\\} ${first.length}$`, 'm'),
      ),
    );

    // A worker that dies is replaced; meanwhile the pool says it is short of one.
    const workers = await expectWorkerReplaced(primary, 'projector', port);

    // The killed worker holds its partitions in the group until its session expires.
    await t.publish(second);
    await projected(t.store, '0', events, 90_000);
    await expectFolded(t.store, '0', events);

    await expectPoolStops(primary, workers);
    primary = undefined;
  }, 120_000);
});
