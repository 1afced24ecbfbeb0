import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

/**
 * ioredis is patched (patches/ioredis@5.11.1.patch): released, it defined `length` on each
 * pipeline, which gave every pipeline a hidden class of its own in the old generation and kept
 * it, its commands and replies alive through every scavenge (docs/performance.md). An upgrade
 * that drops the patch must keep that fixed.
 */
describe('an ioredis pipeline', () => {
  it('reads its length from its prototype, not from an accessor of its own', () => {
    const redis = new Redis({ lazyConnect: true });
    try {
      const pipeline = redis.pipeline().get('a').set('b', '1');
      expect(Object.getOwnPropertyDescriptor(pipeline, 'length')).toBeUndefined();
      expect(pipeline.length).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
