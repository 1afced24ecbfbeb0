import { connectRedis, type RedisClient } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guards } from '../../services/gateway/src/guards.js';
import { REDIS_TOPOLOGIES, testConfig, uniqueNames } from '../harness/index.js';

const PENDING_TTL_MS = 20_000;
const DEDUP_WINDOW_SECONDS = 3_600;

/**
 * A batch's ids are claimed in one command on one Redis and one command each on a Cluster: either
 * way every id must get its own answer, in the batch's order, and keep its own expiry.
 */
describe.each(REDIS_TOPOLOGIES)('the dedup claims of a batch on $topology', ({ redis }) => {
  const names = uniqueNames('guards');
  const config = testConfig(names, redis());
  let client: RedisClient;
  let guards: Guards;
  const request = { budget: `key-${names.id}`, scope: 'http' };
  const ref = (n: number) => ({
    eventId: `${names.id}-e${n}`,
    customerId: `${names.id}-c${n % 3}`,
  });
  const keyOf = (n: number) => `${names.keyPrefix}{${ref(n).customerId}}:seen:${ref(n).eventId}`;
  /** How many of these ids' keys exist, one command each (they lie in many slots). */
  const existing = async (...ids: number[]) =>
    (await Promise.all(ids.map((n) => client.exists(keyOf(n))))).reduce((sum, n) => sum + n, 0);
  const admit = async (...ids: number[]) =>
    (await guards.admit(request, ids.map(ref), Date.now())).outcomes;

  beforeAll(() => {
    client = connectRedis(config.redis);
    guards = new Guards(client, {
      keyPrefix: names.keyPrefix,
      dedupWindowSeconds: DEDUP_WINDOW_SECONDS,
      pendingTtlMs: PENDING_TTL_MS,
      rateLimitPerSecond: 1_000,
    });
  });
  afterAll(() => client?.disconnect());

  it('answers each id in order: new, a duplicate once acked, in flight while pending', async () => {
    expect(await admit(1, 2, 3)).toEqual(['new', 'new', 'new']);
    expect(await client.pttl(keyOf(1))).toBeGreaterThan(PENDING_TTL_MS - 5_000);
    expect(await client.pttl(keyOf(1))).toBeLessThanOrEqual(PENDING_TTL_MS);

    await guards.confirm('http', [ref(1), ref(3)]);
    expect(await client.ttl(keyOf(3))).toBeGreaterThan(DEDUP_WINDOW_SECONDS - 5);
    expect(await admit(4, 1, 2, 3)).toEqual(['new', 'duplicate', 'in_flight', 'duplicate']);

    await guards.release('http', [ref(2), ref(4)]);
    expect(await existing(2, 4)).toBe(0);
    expect(await admit(2, 4)).toEqual(['new', 'new']);
    // One id alone takes the same path as a Cluster's.
    expect(await admit(2)).toEqual(['in_flight']);
    await guards.confirm('http', [ref(2)]);
    expect(await admit(2)).toEqual(['duplicate']);
  });

  it('gives back the claims of a batch its budget refuses', async () => {
    const tight = new Guards(client, {
      keyPrefix: names.keyPrefix,
      dedupWindowSeconds: DEDUP_WINDOW_SECONDS,
      pendingTtlMs: PENDING_TTL_MS,
      rateLimitPerSecond: 2,
    });
    const refused = await tight.admit(
      { ...request, budget: `tight-${names.id}` },
      [10, 11, 12].map(ref),
      Date.now(),
    );
    expect(refused.admitted).toBe(false);
    expect(await existing(10, 11, 12)).toBe(0);
  });
});
