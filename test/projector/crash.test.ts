import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, killHard, sleep, untilReady } from '../harness/index.js';
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
    const events = randomEvents(33_000, 300, 21);
    // A backlog of several fetches (about 9,000 events each here), so that the kill lands while
    // the next fetch is being written; more events arrive while it is down.
    const [backlog, later] = [events.slice(0, 30_000), events.slice(30_000)];
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
    await projected(t.store, '0', events, 90_000);
    await expectFolded(t.store, '0', events);
  }, 180_000); // The sum of its three waits (45 + 45 + 90 s), which only a stuck run reaches.

  async function projectedCount(): Promise<number> {
    const offsets = await t.store.generations.progress('0', t.config.projector.groupId);
    return [...offsets.values()].reduce((sum, offset) => sum + offset + 1, 0);
  }
});
