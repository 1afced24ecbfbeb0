import { describe, expect, it } from 'vitest';
import {
  compareIds,
  formatPosition,
  isPossiblePosition,
  parsePosition,
  POSITION,
} from './stream-position.js';

describe('stream ids', () => {
  it('compare as numbers, milliseconds first, then the sequence', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('11-0', '10-99')).toBeGreaterThan(0);
    expect(compareIds('5-5', '5-5')).toBe(0);
  });

  it('are recognised as Redis writes them, and nothing else is', () => {
    expect(POSITION.test('1767225600000-3')).toBe(true);
    expect(POSITION.test('0-0')).toBe(true);
    // Redis refuses a part of leading zeros: the fuzzer's 2,000-digit `0-000…0` failed a request.
    for (const text of ['', '12', '1-2-3', 'a-1', '1-', ' 1-2', '01-2', `0-${'0'.repeat(2000)}`])
      expect(POSITION.test(text)).toBe(false);
  });
});

describe('stream positions', () => {
  const now = Date.parse('2026-12-06T00:00:00Z');

  it("are one shard's id as it is, or every shard's joined by dots", () => {
    expect(formatPosition(['1767225600000-3'])).toBe('1767225600000-3');
    expect(parsePosition('5-0.0-0.7-2')).toEqual(['5-0', '0-0', '7-2']);
    expect(isPossiblePosition('1767225600000-3', now)).toBe(true);
    expect(isPossiblePosition('1767225600000-3.0-0.1767225600001-0', now)).toBe(true);
  });

  it('refuse what this stream could not have sent', () => {
    for (const text of ['', '1-2.', '.1-2', '1-2..3-4', '1-2,3-4', '99999999999999999999-0'])
      expect(isPossiblePosition(text, now)).toBe(false);
    expect(isPossiblePosition(`0-0.${now + 2 * 3_600_000}-0`, now)).toBe(false);
    expect(isPossiblePosition(Array.from({ length: 65 }, () => '1-1').join('.'), now)).toBe(false);
    expect(
      isPossiblePosition(Array.from({ length: 64 }, () => `${now}-99999`).join('.'), now),
    ).toBe(true);
  });
});
