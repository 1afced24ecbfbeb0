import type { Summary } from '@rapport/read-model';
import { describe, expect, it } from 'vitest';
import { Summaries } from './summary.js';

const SECOND = Date.parse('2026-03-01T12:00:00.000Z');

/** Summaries over a walk that records what it was asked and answers when told. */
function counted() {
  const walks: { generation: string; at: number; settle: (fails?: boolean) => void }[] = [];
  const summaries = new Summaries(
    (generation, at) =>
      new Promise<Summary>((resolve, reject) => {
        walks.push({
          generation,
          at,
          settle: (fails = false) =>
            fails
              ? reject(new Error('Redis went away'))
              : resolve({
                  asOf: new Date(at).toISOString(),
                  customers: 0,
                  status: { engaged: 0, cooling: 0, at_risk: 0, dormant: 0 },
                  stage: {
                    prospect: 0,
                    onboarding: 0,
                    active: 0,
                    at_risk: 0,
                    dormant: 0,
                    churned: 0,
                  },
                  channels: {},
                }),
        });
      }),
  );
  return { summaries, walks };
}

describe('summaries shared between requests', () => {
  it('walk once per generation and second, read at the whole second', async () => {
    const { summaries, walks } = counted();
    const first = summaries.get('0', SECOND + 120, true);
    const same = summaries.get('0', SECOND + 980, true);
    const asked = summaries.get('0', SECOND + 500, false);
    const otherGeneration = summaries.get('1', SECOND + 500, true);
    expect(walks.map(({ generation, at }) => [generation, at])).toEqual([
      ['0', SECOND],
      ['1', SECOND],
    ]);
    for (const walk of walks) walk.settle();
    expect(await same).toBe(await first);
    expect(await asked).toBe(await first);
    expect((await otherGeneration).asOf).toBe(new Date(SECOND).toISOString());
  });

  it("answer a request for now with the previous second's count, not one for an instant asked", async () => {
    const { summaries, walks } = counted();
    const first = summaries.get('0', SECOND, true);
    void summaries.get('0', SECOND + 1_500, true);
    expect(walks).toHaveLength(1);
    void summaries.get('0', SECOND + 1_500, false);
    walks[0]?.settle();
    await first;
    void summaries.get('0', SECOND + 2_500, true);
    void summaries.get('0', SECOND + 3_500, true);
    expect(walks.map(({ at }) => at)).toEqual([SECOND, SECOND + 1_000, SECOND + 3_000]);
  });

  it('let requests for now wait for a walk for now still running, however long it takes', async () => {
    const { summaries, walks } = counted();
    const first = summaries.get('0', SECOND, true);
    const later = summaries.get('0', SECOND + 5_000, true);
    void summaries.get('0', SECOND + 5_000, false);
    expect(walks.map(({ at }) => at)).toEqual([SECOND, SECOND + 5_000]);
    walks[0]?.settle();
    expect(await later).toBe(await first);
    void summaries.get('0', SECOND + 9_000, true);
    expect(walks.map(({ at }) => at)).toEqual([SECOND, SECOND + 5_000, SECOND + 9_000]);
  });

  it('forget a walk that failed, so the next request walks again', async () => {
    const { summaries, walks } = counted();
    const failed = summaries.get('0', SECOND, true);
    walks[0]?.settle(true);
    await expect(failed).rejects.toThrow('Redis went away');
    const again = summaries.get('0', SECOND, true);
    expect(walks).toHaveLength(2);
    walks[1]?.settle();
    expect((await again).asOf).toBe(new Date(SECOND).toISOString());
  });
});
