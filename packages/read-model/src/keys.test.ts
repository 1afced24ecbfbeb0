import { describe, expect, it } from 'vitest';
import { KeySpace } from './keys.js';

/** The slot Redis Cluster hashes: the part between the first `{` and the next `}`, if any. */
const hashTag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1] ?? key;

describe('KeySpace', () => {
  const keys = new KeySpace('rapport:');

  it("keeps a customer's keys in one hash slot and every index key in another", () => {
    const customer = keys.customer('3', 'acme:42');
    expect(new Set(Object.values(customer).map(hashTag))).toEqual(new Set(['acme:42']));
    const { schedule, atRisk, dormant } = keys.index('3');
    const slots = [schedule, atRisk, dormant, keys.changes, keys.progress('3', 'g')].map(hashTag);
    expect(new Set(slots)).toEqual(new Set(['index']));
  });

  it('names generations apart, and matches exactly one generation when dropping it', () => {
    expect(keys.customer('1', 'c').record).toBe('rapport:1:{c}');
    expect(keys.customer('10', 'c').record).toBe('rapport:10:{c}');
    expect(keys.generationPatterns('1')).toEqual(['rapport:1:*', 'rapport:\\{index\\}:1:*']);
  });

  it('escapes glob characters of the configured prefix', () => {
    expect(new KeySpace('a*b?[x]:').generationPatterns('2')[0]).toBe('a\\*b\\?\\[x\\]:2:*');
  });
});
