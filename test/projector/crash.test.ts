import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killHard, sleep, untilReady } from '../harness/index.js';
import { underSurvivors, withLinks } from '../identity/links.js';
import {
  expectFolded,
  projected,
  randomEvents,
  setup,
  spawnProjector,
  testEnv,
  type Setup,
} from './helpers.js';

const children: ChildProcess[] = [];

describe('a projector killed with SIGKILL mid-stream', () => {
  let t: Setup;
  beforeAll(async () => {
    t = await setup('crash');
  });
  afterAll(async () => {
    await Promise.all(children.map(killHard));
    await t.close();
  });

  it('restarts and leaves every customer exactly as the fold: no double count, no loss', async () => {
    const port = await freePort();
    // One process: killed mid-batch, it leaves one dead member, whose partitions wait for its
    // session to time out. A pool killed this early can leave a worker dead in the middle of joining;
    // the group then hands it partitions once more and waits a second session (pool.test.ts
    // kills a worker of a pool that has settled).
    const env = testEnv(t.names, {
      RAPPORT_PROJECTOR_PORT: String(port),
      RAPPORT_PROJECTOR_PROCESSES: '1',
    });
    // Identity links among them, some before the kill and some after it, one a chain: the
    // merges must come out exact too (issue 21).
    const { events, survivorOf, merged } = withLinks(randomEvents(33_000, 300, 21), [
      { at: 2_000, from: 'customer-1', into: 'customer-0' },
      { at: 12_000, from: 'customer-3', into: 'customer-2' },
      { at: 20_000, from: 'customer-2', into: 'customer-4' },
      { at: 31_000, from: 'customer-5', into: 'customer-6' },
    ]);
    // A backlog of several fetches (about 9,000 events each here), so that the kill lands while
    // the next fetch is being written; more events arrive while it is down.
    const [backlog, later] = [events.slice(0, 30_003), events.slice(30_003)];
    await t.publish(backlog);

    const child = spawnProjector(env);
    children.push(child);
    let done = 0;
    for (const deadline = Date.now() + 45_000; done === 0 && Date.now() < deadline;) {
      done = await projectedCount();
      await sleep(5);
    }
    await killHard(child);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(backlog.length);

    await t.publish(later);
    children.push(spawnProjector(env));
    await untilReady(port);
    // The killed projector holds its partitions in the group until its session (6 s) expires.
    const held = underSurvivors(events, survivorOf);
    await projected(t.store, '0', held, 90_000);
    await expectFolded(t.store, '0', held);
    for (const id of merged) {
      expect((await t.store.reader.customer('0', id))?.mergedInto, id).toBeDefined();
    }
  }, 180_000); // The sum of its three waits (45 + 45 + 90 s), which only a stuck run reaches.

  async function projectedCount(): Promise<number> {
    const offsets = await t.store.generations.progress('0', t.config.projector.groupId);
    return [...offsets.values()].reduce((sum, offset) => sum + offset + 1, 0);
  }
});
