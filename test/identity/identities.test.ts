import { Identities, type Edge } from '@rapport/identity';
import { connectRedis, pipelineOn, run, scanKeys, type RedisClient } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_TOPOLOGIES, testConfig, uniqueNames } from '../harness/index.js';

let redis: RedisClient;
let identities: Identities;
let prefix: string;

/** Confirms the edges as the gateway does once Kafka acknowledged them. */
const confirm = async (edges: readonly Edge[]) => {
  const pipeline = pipelineOn(redis);
  identities.queueConfirm(pipeline, edges);
  await run(pipeline);
};

const decide = async (from: string, into: string) => {
  const reservation = await identities.reserve(from, into);
  if (reservation.erased) throw new Error(`${from} or ${into} was erased`);
  await confirm(reservation.unpublished);
  return reservation;
};

// The map lives in one hash slot: the same scripts on one Redis and on a Redis Cluster.
describe.each(REDIS_TOPOLOGIES)('the identity map on $topology', ({ redis: topology }) => {
  beforeAll(() => {
    const names = uniqueNames('identities');
    const config = testConfig(names, topology());
    prefix = names.keyPrefix;
    redis = connectRedis(config.redis);
    identities = new Identities(redis, { keyPrefix: prefix, erasureKey: 'a-test-erasure-key' });
  });
  afterAll(() => redis.disconnect());

  it('merges the root of `from` into the root of `into`, and chains', async () => {
    expect(await decide('anon-1', 'user-1')).toMatchObject({ survivor: 'user-1', merged: true });
    expect(await decide('user-1', 'account-1')).toMatchObject({
      survivor: 'account-1',
      merged: true,
    });
    const routes = await identities.route(['anon-1', 'user-1', 'account-1', 'stranger']);
    expect(Object.fromEntries(routes)).toEqual({
      'anon-1': 'account-1',
      'user-1': 'account-1',
      'account-1': 'account-1',
      stranger: 'stranger',
    });
    expect(await identities.person('anon-1')).toEqual({
      id: 'account-1',
      merged: ['user-1', 'anon-1'],
    });
  });

  it('is idempotent: the same link again merges nothing and publishes nothing', async () => {
    await decide('anon-2', 'user-2');
    const again = await identities.reserve('anon-2', 'user-2');
    expect(again).toEqual({ erased: false, survivor: 'user-2', merged: false, unpublished: [] });
  });

  it('resolves links racing in opposite directions to one survivor', async () => {
    for (let round = 0; round < 20; round += 1) {
      const [left, right] = [`race-${round}-a`, `race-${round}-b`];
      const answers = await Promise.all([
        identities.reserve(left, right),
        identities.reserve(right, left),
      ]);
      const survivors = answers.map((answer) => (answer.erased ? null : answer.survivor));
      expect(survivors[0]).toBe(survivors[1]);
      expect(answers.filter((answer) => !answer.erased && answer.merged)).toHaveLength(1);
      const edges = answers.flatMap((answer) => (answer.erased ? [] : answer.unpublished));
      expect(new Set(edges.map((edge) => `${edge.from}>${edge.into}`)).size).toBe(1);
    }
  });

  it('routes by the links on the log only, and gives an unpublished link to the next call', async () => {
    const pending = await identities.reserve('anon-3', 'user-3');
    expect(Object.fromEntries(await identities.route(['anon-3']))).toEqual({ 'anon-3': 'anon-3' });
    // The publish failed: the client's retry finds the decided link and publishes it.
    const retry = await identities.reserve('anon-3', 'user-3');
    expect(retry).toMatchObject({ merged: false, survivor: 'user-3' });
    expect(retry.erased ? [] : retry.unpublished).toEqual(
      pending.erased ? [] : pending.unpublished,
    );
    await confirm(retry.erased ? [] : retry.unpublished);
    expect(Object.fromEntries(await identities.route(['anon-3']))).toEqual({ 'anon-3': 'user-3' });
  });

  it('routes a batch of the largest size, linked and erased ids in every part of it', async () => {
    const ids = Array.from({ length: 2_500 }, (_, index) => `bulk-${index}`);
    await decide('bulk-1500', 'bulk-owner-a');
    await decide('bulk-owner-a', 'bulk-owner-b');
    await decide('bulk-10', 'bulk-owner-c');
    await identities.erase('bulk-2400');
    const routes = await identities.route([...ids, 'bulk-10']);
    expect(routes.size).toBe(2_500);
    const expected = new Map<string, string | null>(ids.map((id) => [id, id]));
    expected.set('bulk-1500', 'bulk-owner-b');
    expected.set('bulk-10', 'bulk-owner-c');
    expected.set('bulk-2400', null);
    expect(routes).toEqual(expected);
  });

  it('erases a person with every id merged into them, keeping only keyed hashes', async () => {
    await decide('anon-4', 'user-4');
    await decide('email-4@example.com', 'user-4');
    const person = await identities.erase('anon-4');
    expect(person.id).toBe('user-4');
    expect([...person.merged].sort()).toEqual(['anon-4', 'email-4@example.com']);
    const routes = await identities.route(['anon-4', 'user-4', 'email-4@example.com']);
    expect([...routes.values()]).toEqual([null, null, null]);
    expect(await identities.erased(['user-4', 'user-1'])).toEqual(new Set(['user-4']));
    expect(await identities.reserve('new-4', 'user-4')).toEqual({ erased: true });
    expect(await identities.reserve('user-4', 'new-4')).toEqual({ erased: true });
    // Nothing of theirs is left in Redis as text: keys, fields and members are hashes or gone.
    const dump: string[] = [];
    const keys: string[] = [];
    for await (const page of scanKeys(redis, `${prefix}*`, 1_000)) keys.push(...page);
    for (const key of keys) {
      dump.push(key);
      const type = await redis.type(key);
      if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(key)).flat());
      if (type === 'set') dump.push(...(await redis.smembers(key)));
    }
    expect(dump.join('\n')).not.toMatch(/anon-4|user-4|email-4/);
  });
});
