import { describe, expect, it } from 'vitest';
import { indexShards, KeySpace } from './keys.js';

/** The slot Redis Cluster hashes: the part between the first `{` and the next `}`, if any. */
const hashTag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1] ?? key;

describe('KeySpace', () => {
  const keys = new KeySpace('rapport:');
  const [one] = indexShards(1);

  it("keeps a customer's keys in one hash slot and every index key of one shard in another", () => {
    const customer = keys.customer('3', 'acme:42');
    expect(new Set(Object.values(customer).map(hashTag))).toEqual(new Set(['acme:42']));
    const { schedule, atRisk, dormant } = keys.index('3', one!);
    const slots = [schedule, atRisk, dormant, keys.changes(one!), keys.progress('3', 'g', one!)];
    expect(new Set(slots.map(hashTag))).toEqual(new Set(['index']));
  });

  it('keeps the layout of one shard as it was before shards', () => {
    expect(keys.index('3', one!).schedule).toBe('rapport:{index}:3:schedule');
    expect(keys.changes(one!)).toBe('rapport:{index}:changes');
    expect(keys.progress('3', 'g', one!)).toBe('rapport:{index}:3:progress:g');
  });

  it('gives each of several shards a slot of its own, the progress in shard 0', () => {
    const shards = indexShards(3);
    expect(shards.map((shard) => hashTag(keys.index('3', shard).atRisk))).toEqual([
      'index:0',
      'index:1',
      'index:2',
    ]);
    expect(keys.changes(shards[2]!)).toBe('rapport:{index:2}:changes');
    expect(keys.progress('3', 'g', shards[0]!)).toBe('rapport:{index:0}:3:progress:g');
  });

  it('names generations apart, and matches exactly one generation when dropping it', () => {
    expect(keys.customer('1', 'c').record).toBe('rapport:1:{c}');
    expect(keys.customer('10', 'c').record).toBe('rapport:10:{c}');
    expect(keys.generationPatterns('1')).toEqual(['rapport:1:*', 'rapport:\\{index*\\}:1:*']);
  });

  it('tells index keys of any layout from the rest', () => {
    for (const key of ['rapport:{index}:changes', 'rapport:{index:12}:4:schedule']) {
      expect(keys.isIndexKey(key)).toBe(true);
    }
    for (const key of ['rapport:{identity}:x', 'rapport:4:{index}', 'other:{index}:changes']) {
      expect(keys.isIndexKey(key)).toBe(false);
    }
  });

  it('escapes glob characters of the configured prefix', () => {
    expect(new KeySpace('a*b?[x]:').generationPatterns('2')[0]).toBe('a\\*b\\?\\[x\\]:2:*');
  });
});
