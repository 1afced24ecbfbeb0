import { connectRedis, type RedisClient } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guards } from '../../services/gateway/src/guards.js';
import { REDIS_TOPOLOGIES, testConfig, uniqueNames } from '../harness/index.js';

const PENDING_TTL_MS = 20_000;
const DEDUP_WINDOW_SECONDS = 3_600;

/**
 * A batch's ids are claimed in one command on one Redis and one command each on a Cluster: either
 * way every id must get its own answer, in the batch's order, and a request's claims are confirmed,
 * taken over when abandoned, and read as a gateway before tokens left them.
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
  /** Admits the ids (claimed `ago` ms before now); their outcomes and the request's token. */
  const claim = (ids: readonly number[], ago = 0) =>
    guards.admit(request, ids.map(ref), Date.now() - ago);
  const admit = async (...ids: number[]) => (await claim(ids)).outcomes;

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
    const { outcomes, token } = await claim([1, 2, 3]);
    expect(outcomes).toEqual(['new', 'new', 'new']);
    // Claimed for the whole window: a claim never confirmed is taken over, it does not expire.
    expect(await client.ttl(keyOf(1))).toBeGreaterThan(DEDUP_WINDOW_SECONDS - 5);

    // A request of few events confirms each id: the others it claimed stay in flight.
    await guards.confirm('http', [ref(1), ref(3)], token);
    expect(await client.ttl(keyOf(3))).toBeGreaterThan(DEDUP_WINDOW_SECONDS - 5);
    const second = await claim([4, 1, 2, 3]);
    expect(second.outcomes).toEqual(['new', 'duplicate', 'in_flight', 'duplicate']);

    // A request gives back only what it claimed: 4 is the second request's, not the first's.
    await guards.release('http', [ref(2), ref(4)], token);
    expect(await existing(2, 4)).toBe(1);
    await guards.release('http', [ref(4)], second.token);
    expect(await existing(2, 4)).toBe(0);
    expect(await admit(2, 4)).toEqual(['new', 'new']);
    // One id alone takes the same path as a Cluster's.
    const alone = await claim([5]);
    expect(await admit(5)).toEqual(['in_flight']);
    await guards.confirm('http', [ref(5)], alone.token);
    expect(await admit(5)).toEqual(['duplicate']);
  });

  it('confirms a batch with one key, and every id of it is a duplicate then', async () => {
    const ids = Array.from({ length: 20 }, (_, index) => 100 + index);
    const { outcomes, token } = await claim(ids);
    expect(outcomes.every((outcome) => outcome === 'new')).toBe(true);
    expect(await admit(100, 119)).toEqual(['in_flight', 'in_flight']);
    await guards.confirm('http', ids.map(ref), token);
    expect(await admit(200, 100, 119, 107)).toEqual(['new', 'duplicate', 'duplicate', 'duplicate']);
    // Each id still carries the request's token, not a write of its own.
    expect(await client.get(keyOf(107))).toBe(token);
  });

  it('takes over a claim its request abandoned (never confirmed within the pending timeout)', async () => {
    // Claimed by a request that died between claiming and confirming, longer ago than a publish
    // may take; one confirmed that long ago; one of a request still within its time.
    const abandoned = await claim([300, 301], PENDING_TTL_MS + 1_000);
    expect(abandoned.outcomes).toEqual(['new', 'new']);
    const confirmed = await claim([302], PENDING_TTL_MS + 1_000);
    await guards.confirm('http', [ref(302)], confirmed.token);
    await claim([303], PENDING_TTL_MS - 5_000);
    // A batch confirmed by its one key that long ago: its ids stay duplicates, never taken over.
    const batch = Array.from({ length: 10 }, (_, index) => 310 + index);
    const confirmedBatch = await claim(batch, PENDING_TTL_MS + 1_000);
    await guards.confirm('http', batch.map(ref), confirmedBatch.token);

    const retry = await claim([300, 301, 302, 303, 310, 319]);
    expect(retry.outcomes).toEqual([
      'new',
      'new',
      'duplicate',
      'in_flight',
      'duplicate',
      'duplicate',
    ]);
    expect(await client.get(keyOf(300))).toBe(retry.token);
    // Taken over once: another retry finds the new claim in flight.
    expect(await admit(300)).toEqual(['in_flight']);
    // The request that abandoned it, failing at last, leaves the retry's claim alone.
    await guards.release('http', [ref(300)], abandoned.token);
    await guards.release('http', [ref(301)], abandoned.token);
    expect(await client.get(keyOf(300))).toBe(retry.token);
    expect(await client.get(keyOf(301))).toBe(retry.token);
  });

  it('reads the claims of a gateway before tokens: acked a duplicate, pending in flight', async () => {
    await client.set(keyOf(400), 'acked', 'EX', 60);
    await client.set(keyOf(401), 'pending', 'PX', 60_000);
    expect(await admit(400, 401, 402)).toEqual(['duplicate', 'in_flight', 'new']);
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
