import { describe, expect, it } from 'vitest';
import { Stalls } from './stalls.js';

describe('Stalls', () => {
  it('counts from the batch or the last advance, says which partitions wait past the threshold, and forgets those left', async () => {
    let now = 1_000_000;
    const stalls = new Stalls(60_000, () => now);
    stalls.waitFromNow('t', 3);
    stalls.waitFromNow('t', 5);
    now += 30_000;
    stalls.waitFromNow('t', 5); // advanced
    now += 45_000;
    expect(stalls.waiting()).toEqual([
      { topic: 't', partition: 3, waitingMs: 75_000, stalled: true },
      { topic: 't', partition: 5, waitingMs: 45_000, stalled: false },
    ]);
    await expect(stalls.check()).rejects.toThrow('stalled: t/3 for 75 s');

    stalls.left('t', 3);
    expect(stalls.waiting().map((wait) => wait.partition)).toEqual([5]);
    await expect(stalls.check()).resolves.toBeUndefined();
  });
});
