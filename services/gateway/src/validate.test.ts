import { INGEST_LIMITS } from '@rapport/schema';
import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { checkLimits, jsonBytesAtMost } from './validate.js';

const exactBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Strings that serialise longest per code unit: escapes, control characters, surrogates. */
const awkward = [
  '',
  'a',
  '"',
  '\\',
  '\n',
  '\u0000',
  '\u001f',
  'é',
  '€',
  '😀',
  '\ud800',
  '</script>',
];

/** A random JSON value from a seeded generator, so that a failure reproduces. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 4 : 6));
  if (pick === 0) return awkward[Math.floor(next() * awkward.length)]!.repeat(1 + next() * 5);
  if (pick === 1) return [-1.7976931348623157e308, 5e-324, -0, 123456789.123, 0][pick % 5];
  if (pick === 2) return [true, false, null][Math.floor(next() * 3)];
  if (pick === 3) return String.fromCharCode(...Array.from({ length: 8 }, () => next() * 0xffff));
  if (pick === 4) return Array.from({ length: next() * 4 }, () => randomValue(next, depth + 1));
  return Object.fromEntries(
    Array.from({ length: next() * 4 }, (_, index) => [
      awkward[index % awkward.length]! + String(index),
      randomValue(next, depth + 1),
    ]),
  );
}

describe('jsonBytesAtMost', () => {
  it('never says less than the serialised size, whatever the value holds', () => {
    let seed = 7;
    const next = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let run = 0; run < 2_000; run += 1) {
      const value = randomValue(next, 0);
      expect(jsonBytesAtMost(value, Number.MAX_SAFE_INTEGER)).toBeGreaterThanOrEqual(
        exactBytes(value),
      );
    }
    for (const text of awkward) {
      expect(jsonBytesAtMost({ [text]: [text] }, Infinity)).toBeGreaterThanOrEqual(
        exactBytes({ [text]: [text] }),
      );
    }
  });

  it('stops counting past its budget', () => {
    const long = Array.from({ length: 10_000 }, () => 'x'.repeat(100));
    const bound = jsonBytesAtMost(long, 1_000);
    expect(bound).toBeGreaterThan(1_000);
    expect(bound).toBeLessThan(2_000);
  });
});

describe('checkLimits', () => {
  const limit = INGEST_LIMITS.eventBytes;
  const item = (bytes: number) => ({ note: 'x'.repeat(bytes - exactBytes({ note: '' })) });
  const pathOf = (index: number) => `batch.${index}`;

  it('refuses the first item over the limit by its exact size, not its bound', () => {
    const atLimit = item(limit);
    expect(exactBytes(atLimit)).toBe(limit);
    expect(() => checkLimits([atLimit, atLimit], 2 * limit, pathOf)).not.toThrow();
    const refusal = (() => {
      try {
        checkLimits([atLimit, item(limit + 1)], 2 * limit + 1, pathOf);
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({ status: 413, issues: [{ path: 'batch.1' }] });
  });
});
