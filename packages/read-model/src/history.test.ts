import { seededRandom, type Headline } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot, StoredSnapshotSchema } from './history.js';
import { round } from './views.js';

/** What the layout before stored of a reading, and served: its JSON tuple, parsed. */
function servedBefore(reading: Headline) {
  const json = JSON.stringify([
    reading.asOf,
    round(reading.engagement, 2),
    round(reading.participation, 2),
    round(reading.trust.value, 4),
    reading.status,
    reading.stage,
  ]);
  return StoredSnapshotSchema.parse(JSON.parse(json));
}

function readings(count: number, seed: number): Headline[] {
  const next = seededRandom(seed);
  const pick = <T>(options: readonly T[]): T =>
    options[Math.floor(next() * options.length)] ?? (options[0] as T);
  return Array.from(
    { length: count },
    () =>
      ({
        asOf: pick([Math.floor(next() * 4e12), 0, 1_767_225_600_000.5]),
        engagement: pick([next() * 100, 0, 100, 0.005, 99.995]),
        participation: pick([next() * 100, 0, 100]),
        trust: { value: pick([next(), 0, 1, 0.00005]) },
        status: pick(['engaged', 'cooling', 'at_risk', 'dormant']),
        stage: pick(['prospect', 'onboarding', 'active', 'at_risk', 'dormant', 'churned']),
      }) as Headline,
  );
}

describe('a history point', () => {
  it('gives back exactly what the JSON gave, for any reading', () => {
    for (const reading of readings(5_000, 3)) {
      const bytes = encodeSnapshot(reading);
      expect(decodeSnapshot({ legacy: false, bytes })).toEqual(servedBefore(reading));
    }
  });

  it('takes 13 bytes or fewer for a reading at a whole millisecond', () => {
    const [reading] = readings(1, 4);
    const whole = { ...reading, asOf: 1_797_825_612_031 } as Headline;
    expect(encodeSnapshot(whole).length).toBeLessThanOrEqual(13);
  });

  it('reads the JSON points of the layout before as it did', () => {
    const bytes = Buffer.from('[1767225600000,41.27,55.1,0.6123,"cooling","active"]');
    expect(decodeSnapshot({ legacy: true, bytes })).toEqual([
      1767225600000,
      41.27,
      55.1,
      0.6123,
      'cooling',
      'active',
    ]);
  });

  it('refuses bytes it did not write', () => {
    const bytes = encodeSnapshot(readings(1, 5)[0] as Headline);
    expect(() => decodeSnapshot({ legacy: false, bytes: bytes.subarray(0, -1) })).toThrow();
    expect(() => decodeSnapshot({ legacy: false, bytes: Buffer.of(0b0001_1100) })).toThrow(
      /not a history point/,
    );
  });
});
