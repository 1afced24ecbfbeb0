import { describe, expect, it } from 'vitest';
import { Handoff } from './handoff.js';

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const seen: T[] = [];
  for await (const value of iterable) seen.push(value);
  return seen;
}

describe('Handoff', () => {
  it('delivers in order, holds the writer until the reader takes, and ends on finish', async () => {
    const handoff = new Handoff<number>();
    let firstTaken = false;
    const put = handoff.put(1).then(() => (firstTaken = true));
    await Promise.resolve();
    expect(firstTaken).toBe(false);
    const reading = drain(handoff);
    await put;
    await handoff.put(2);
    handoff.finish();
    expect(await reading).toEqual([1, 2]);
  });

  it('throws the failure after what was queued', async () => {
    const handoff = new Handoff<number>();
    void handoff.put(1);
    handoff.fail(new Error('broker gone'));
    const seen: number[] = [];
    await expect(async () => {
      for await (const value of handoff) seen.push(value);
    }).rejects.toThrow('broker gone');
    expect(seen).toEqual([1]);
  });

  it('releases waiting writers when the reader goes away', async () => {
    const handoff = new Handoff<number>();
    const waiting = handoff.put(1);
    handoff.cancel();
    await waiting;
    await handoff.put(2);
  });
});
