import { Redis, type Result } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testInfra, uniqueNames } from '../harness/index.js';

/** Sets a value only when its version is newer: the shape of the projector's guarded writes. */
const SET_IF_NEWER = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '-1')
if tonumber(ARGV[1]) <= current then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'value', ARGV[2])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    setIfNewer(key: string, version: number, value: string): Result<number, Context>;
  }
}

describe('Redis (real server)', () => {
  const names = uniqueNames('smoke-redis');
  const redis = new Redis(testInfra().redisUrl, { keyPrefix: names.keyPrefix });
  redis.defineCommand('setIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });

  afterAll(async () => {
    await redis.quit();
  });

  it('runs a Lua script that refuses stale versions', async () => {
    expect(await redis.setIfNewer('{c-1}:state', 2, 'second')).toBe(1);
    expect(await redis.setIfNewer('{c-1}:state', 1, 'first, late')).toBe(0);
    expect(await redis.setIfNewer('{c-1}:state', 3, 'third')).toBe(1);
    expect(await redis.hgetall('{c-1}:state')).toEqual({ version: '3', value: 'third' });
  });

  it('round-trips a stream and resumes after an id', async () => {
    const first = await redis.xadd('changes', '*', 'customer', 'c-1', 'status', 'engaged');
    await redis.xadd('changes', '*', 'customer', 'c-2', 'status', 'cooling');
    const all = await redis.xrange('changes', '-', '+');
    expect(all.map(([, fields]) => fields)).toEqual([
      ['customer', 'c-1', 'status', 'engaged'],
      ['customer', 'c-2', 'status', 'cooling'],
    ]);
    const after = await redis.xread('COUNT', 10, 'STREAMS', 'changes', first ?? '0');
    expect(after?.[0]?.[1].map(([, fields]) => fields[1])).toEqual(['c-2']);
  });
});
