import { describe, expect, it } from 'vitest';
import { flushSize } from './producer.js';

const sized = (...bytes: number[]) => bytes.map((size) => ({ bytes: size }));

describe('flushSize', () => {
  it('takes queued publishes in order up to the byte cap', () => {
    expect(flushSize(sized(40, 40, 40), 100)).toBe(2);
    expect(flushSize(sized(50, 50, 1), 100)).toBe(2);
    expect(flushSize(sized(10, 10), 100)).toBe(2);
    expect(flushSize([], 100)).toBe(0);
  });

  it('always takes the first one, so an oversized publish fails alone instead of blocking', () => {
    expect(flushSize(sized(500, 1), 100)).toBe(1);
  });
});
