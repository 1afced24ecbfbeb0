import { describe, expect, it } from 'vitest';
import { mergeReadiness, readiness } from './readiness.js';

describe('readiness', () => {
  it('is ready when every check passes, and names each failing check with its reason', async () => {
    expect(
      await readiness({ kafka: () => Promise.resolve(), redis: () => Promise.resolve('PONG') }),
    ).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok' },
    });
    expect(
      await readiness({
        kafka: () => Promise.reject(new Error('broker down')),
        redis: () => Promise.resolve(),
      }),
    ).toEqual({ status: 'not_ready', checks: { kafka: 'broker down', redis: 'ok' } });
  });
});

describe('mergeReadiness', () => {
  const ready = { status: 'ready', checks: { kafka: 'ok', redis: 'ok' } } as const;

  it('is ready when every expected worker answered ready', () => {
    expect(mergeReadiness(2, [ready, ready])).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', redis: 'ok', workers: 'ok' },
    });
  });

  it("keeps a failing worker's reason and counts workers that did not answer", () => {
    const down = { status: 'not_ready', checks: { kafka: 'broker down', redis: 'ok' } } as const;
    expect(mergeReadiness(3, [ready, down, undefined])).toEqual({
      status: 'not_ready',
      checks: {
        kafka: 'broker down',
        redis: 'ok',
        workers: '2 of 3 workers running and answering',
      },
    });
  });
});
