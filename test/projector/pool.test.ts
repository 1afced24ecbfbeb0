import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isAlive, killHard, untilNotReady, untilReady, workerPids } from '../harness';
import {
  expectFolded,
  projected,
  randomEvents,
  setup,
  PROJECTOR_ENTRY,
  spawnProjector,
  testEnv,
  type Setup,
} from './helpers';

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
    const workers = await workerPids(primary, PROJECTOR_ENTRY);
    expect(workers).toHaveLength(2);

    const events = randomEvents(4_000, 200, 5);
    const [first, second] = [events.slice(0, 2_000), events.slice(2_000)];
    await t.publish(first);
    await projected(t.store, '0', first);
    // Each worker counted its own share; the primary's /metrics sums them.
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
      new RegExp(`^rapport_projector_events_total\\{outcome="applied"\\} ${first.length}$`, 'm'),
    );

    // A worker that dies is replaced; meanwhile the pool says it is short of one.
    process.kill(workers[0] ?? 0, 'SIGKILL');
    expect(await untilNotReady(port)).toMatchObject({
      status: 'not_ready',
      checks: { workers: '1 of 2 workers running and answering' },
    });
    await untilReady(port);
    const replaced = await workerPids(primary, PROJECTOR_ENTRY);
    expect(replaced).toHaveLength(2);
    expect(replaced).toContain(workers[1]);

    // The killed worker holds its partitions in the group until its 30 s session expires.
    await t.publish(second);
    await projected(t.store, '0', events, 90_000);
    await expectFolded(t.store, '0', events);

    // SIGTERM stops every worker gracefully, then the primary.
    primary.kill('SIGTERM');
    const [code] = (await once(primary, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(replaced.filter(isAlive)).toEqual([]);
    primary = undefined;
  }, 120_000);
});
