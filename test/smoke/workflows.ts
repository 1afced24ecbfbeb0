import { condition, defineQuery, defineSignal, setHandler, sleep } from '@temporalio/workflow';

export const addSignal = defineSignal<[number]>('add');
export const totalQuery = defineQuery<number>('total');

/**
 * Sums the signals it receives until `count` arrived, then waits on a durable timer before
 * answering: the smallest workflow that exercises a signal, a query and a timer.
 */
export async function accumulate(count: number, holdMs: number): Promise<number> {
  let total = 0;
  let received = 0;
  setHandler(addSignal, (amount) => {
    total += amount;
    received += 1;
  });
  setHandler(totalQuery, () => total);
  await condition(() => received >= count);
  await sleep(holdMs);
  return total;
}

/** Sleeps for a long time of workflow time and reports how much workflow time passed. */
export async function longSleep(days: number): Promise<number> {
  const started = Date.now();
  await sleep(`${days} days`);
  return Date.now() - started;
}
