import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'vitest';
import {
  isAlive,
  untilNotReady,
  untilReady,
  workerPids,
  type RapportService,
} from './processes.js';

/**
 * For a pool of two workers of `service` answering `/readyz` on `port`: SIGKILLs one,
 * expects the pool to say it is short of it, then a replacement beside the survivor. Returns the
 * workers' pids after.
 */
export async function expectWorkerReplaced(
  primary: ChildProcess,
  service: RapportService,
  port: number,
): Promise<number[]> {
  const workers = await workerPids(primary, service);
  expect(workers).toHaveLength(2);
  process.kill(workers[0] ?? 0, 'SIGKILL');
  expect(await untilNotReady(port)).toMatchObject({
    status: 'not_ready',
    checks: { workers: '1 of 2 workers running and answering' },
  });
  await untilReady(port);
  const replaced = await workerPids(primary, service);
  expect(replaced).toHaveLength(2);
  expect(replaced).toContain(workers[1]);
  return replaced;
}

/** SIGTERM stops every worker gracefully, then the primary, which exits 0. */
export async function expectPoolStops(primary: ChildProcess, workers: readonly number[]) {
  primary.kill('SIGTERM');
  const [code] = (await once(primary, 'exit')) as [number | null];
  expect(code).toBe(0);
  expect(workers.filter(isAlive)).toEqual([]);
}
