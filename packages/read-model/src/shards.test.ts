import { describe, expect, it } from 'vitest';
import { shardOf, ShardCounts } from './shards.js';

describe('shardOf', () => {
  it('puts everyone in shard 0 of one', () => {
    expect(['a', 'acme:42', ''].map((id) => shardOf(id, 1))).toEqual([0, 0, 0]);
  });

  it('is FNV-1a of the UTF-8 bytes: stored placements never move', () => {
    // FNV-1a 32 of "a" is 0xe40c292c, of "foobar" 0xbf9cf968 (the published test vectors).
    expect(shardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(shardOf('foobar', 1_000)).toBe(0xbf9cf968 % 1_000);
    expect(shardOf('é', 7)).toBe(shardOf('\u00e9', 7));
  });

  it('spreads customers over the shards', () => {
    const counts = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let n = 0; n < 8_000; n += 1) counts[shardOf(`customer-${n}`, 8)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(850);
  });
});

describe('ShardCounts', () => {
  it("gives a generation's recorded count, else the configured one", () => {
    const counts = new ShardCounts(4);
    counts.record('3', 1);
    expect(counts.of('3')).toBe(1);
    expect(counts.of('4')).toBe(4);
  });
});
