import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness';
import {
  expectFolded,
  killHard,
  projected,
  randomEvents,
  setup,
  sleep,
  spawnProjector,
  testEnv,
  untilReady,
  type Setup,
} from './helpers';

/** The pool's workers: the primary's children running the same entry point (tsx has others). */
async function workerPids(primary: ChildProcess): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', [
    '-o',
    'pid=,args=',
    '--ppid',
    String(primary.pid),
  ]);
  return stdout
    .split('\n')
    .filter((line) => line.includes('services/projector/src/main.ts'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
    const workers = await workerPids(primary);
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
    let short: unknown;
    for (const deadline = Date.now() + 5_000; short === undefined && Date.now() < deadline;) {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (response.status === 503) short = await response.json();
      await sleep(20);
    }
    expect(short).toMatchObject({
      status: 'not_ready',
      checks: { workers: '1 of 2 workers running and answering' },
    });
    await untilReady(port);
    const replaced = await workerPids(primary);
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
    expect(replaced.filter(alive)).toEqual([]);
    primary = undefined;
  }, 120_000);
});
