import { describe, expect, it } from 'vitest';
import { compareIds, STREAM_ID } from './feed.js';

describe('stream ids', () => {
  it('compare as numbers, milliseconds first, then the sequence', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('11-0', '10-99')).toBeGreaterThan(0);
    expect(compareIds('5-5', '5-5')).toBe(0);
  });

  it('are recognised, and nothing else is', () => {
    expect(STREAM_ID.test('1767225600000-3')).toBe(true);
    for (const text of ['', '12', '1-2-3', 'a-1', '1-', ' 1-2'])
      expect(STREAM_ID.test(text)).toBe(false);
  });
});
