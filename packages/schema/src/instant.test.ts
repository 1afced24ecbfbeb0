import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantMs, MAX_INSTANT_MS, MIN_INSTANT_MS } from './instant.js';

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** Any string of the shape the schema accepts, across the years the pipeline accepts and beyond. */
const rfc3339 = fc
  .record({
    ms: fc.integer({ min: -2_208_988_800_000, max: 7_258_118_399_999 }),
    fraction: fc.option(fc.stringMatching(/^\d{1,9}$/)),
    offset: fc.option(
      fc.record({
        sign: fc.constantFrom('+', '-'),
        hours: fc.integer({ min: 0, max: 23 }),
        minutes: fc.integer({ min: 0, max: 59 }),
      }),
    ),
  })
  .map(({ ms, fraction, offset }) => {
    const wall = new Date(ms).toISOString().slice(0, 19);
    const zone =
      offset === null ? 'Z' : `${offset.sign}${pad(offset.hours, 2)}:${pad(offset.minutes, 2)}`;
    return `${wall}${fraction === null ? '' : `.${fraction}`}${zone}`;
  });

describe('instantMs', () => {
  it('agrees with Date.parse on every RFC 3339 instant with an offset', () => {
    fc.assert(
      fc.property(rfc3339, (text) => {
        expect(instantMs(text)).toBe(Date.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('knows leap days and the bounds of the accepted range', () => {
    expect(instantMs('2024-02-29T12:00:00Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(instantMs('1970-01-01T00:00:00Z')).toBe(MIN_INSTANT_MS);
    expect(instantMs('2101-01-01T00:00:00Z')).toBe(MAX_INSTANT_MS);
    expect(instantMs('2000-01-01T01:00:00.5+01:00')).toBe(Date.UTC(2000, 0, 1, 0, 0, 0, 500));
  });

  it.each([
    '',
    '2024-02-30T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T00:60:00Z',
    '2024-01-01T00:00:60Z',
    '2024-01-01T00:00:00',
    '2024-01-01T00:00:00.Z',
    '2024-01-01T00:00:00+0100',
    '2024-01-01T00:00:00+24:00',
    '2024-01-01T00:00:00Zjunk',
    '2024-01-01 00:00:00Z',
    '2024-0a-01T00:00:00Z',
  ])('refuses %j', (text) => {
    expect(instantMs(text)).toBeNaN();
  });
});
