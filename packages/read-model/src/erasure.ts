import { z } from 'zod';
import { scanKeys, unlinkKeys, type RedisClient } from './cluster.js';
import { globEscaped, type KeySpace } from './keys.js';

/** What erasing customers removed from Redis, with counts (the erasure receipt's Redis part). */
export interface ReadModelErasure {
  /**
   * Their keys in every generation: two per customer (its hash, and its data key with its state,
   * history and timeline), one for a customer not written since the layout kept those in its
   * hash, three for one not written since the layout kept them in lists (`:h`, `:e`); and the
   * gateway's dedup ids.
   */
  readonly keys: number;
  /** Their entries in every generation's indexes (schedule, at risk, dormant). */
  readonly indexEntries: number;
  /** Their entries in the change streams (at most RAPPORT_CHANGE_STREAM_LENGTH per shard kept). */
  readonly changes: number;
}

const SCAN_COUNT = 1_000;
const STREAM_PAGE = 1_000;
const StreamPageSchema = z.array(z.tuple([z.string(), z.array(z.string())]));

/**
 * Whether a key is one of these customers': a record (`<prefix><generation>:{id}`), its data
 * key (`…:d`: state, history and timeline), the history and timeline lists of a layout before
 * (`…:h`, `…:e`, left by a customer not written since), or a dedup claim of the gateway's
 * (`<prefix>{id}:seen…`). Nothing else, even where a tag spells one of their ids: the indexes
 * (`{index}`, `{index:<k>}`), the identity map (`{identity}`), a channel's signed requests (`{webhook:x}`).
 */
function isCustomerKey(key: string, prefix: string, ids: ReadonlySet<string>): boolean {
  const open = key.indexOf('{', prefix.length);
  const close = key.indexOf('}', open + 1);
  if (open < 0 || close < 0 || !ids.has(key.slice(open + 1, close))) return false;
  const before = key.slice(prefix.length, open);
  const after = key.slice(close + 1);
  const record = /^[^:{}]+:$/.test(before) && ['', ':d', ':h', ':e'].includes(after);
  const claim = before === '' && /^:seen(?:\{[^{}]*\})?:/.test(after);
  return record || claim;
}

/**
 * Removes everything Redis holds under the given customer ids: every key whose hash tag is one of
 * them (records of every generation, with their data keys (state, history and timeline); the
 * lists of a layout before where they remain; the gateway's dedup claims), their
 * index entries in every generation and shard, and their entries in the change streams (of every
 * shard count a generation had). One pass over the keyspace (SCAN) for all the ids, one over each
 * change stream.
 */
export async function eraseFromReadModel(
  redis: RedisClient,
  keys: KeySpace,
  ids: readonly string[],
): Promise<ReadModelErasure> {
  const wanted = new Set(ids);
  const doomed: string[] = [];
  const schedules: string[] = [];
  const streams: string[] = [];
  for await (const found of scanKeys(redis, `${globEscaped(keys.prefix)}*`, SCAN_COUNT)) {
    for (const key of found) {
      if (isCustomerKey(key, keys.prefix, wanted)) doomed.push(key);
      else if (keys.isIndexKey(key)) {
        if (key.endsWith(':schedule')) schedules.push(key);
        else if (key.endsWith(':changes')) streams.push(key);
      }
    }
  }
  let removedKeys = 0;
  for (let at = 0; at < doomed.length; at += SCAN_COUNT) {
    removedKeys += await unlinkKeys(redis, doomed.slice(at, at + SCAN_COUNT));
  }
  let indexEntries = 0;
  for (const schedule of schedules) {
    const base = schedule.slice(0, -':schedule'.length);
    // The three keys of one index shard's slot: a pipeline of one node, on a Cluster too.
    const replies = await redis
      .pipeline()
      .hdel(schedule, ...ids)
      .zrem(`${base}:at_risk`, ...ids)
      .zrem(`${base}:dormant`, ...ids)
      .exec();
    indexEntries += Number(replies?.[0]?.[1] ?? 0);
  }
  let changes = 0;
  for (const stream of streams) changes += await eraseChanges(redis, stream, wanted);
  return { keys: removedKeys, indexEntries, changes };
}

/** Their entries in one change stream (capped, so one walk of it is bounded). */
async function eraseChanges(redis: RedisClient, stream: string, ids: ReadonlySet<string>) {
  let removed = 0;
  let start = '-';
  for (;;) {
    const page = StreamPageSchema.parse(
      await redis.xrange(stream, start, '+', 'COUNT', STREAM_PAGE),
    );
    const theirs = page
      .filter(([, fields]) => fields[0] === 'c' && ids.has(fields[1] ?? ''))
      .map(([id]) => id);
    if (theirs.length > 0) removed += await redis.xdel(stream, ...theirs);
    const last = page.at(-1);
    if (last === undefined || page.length < STREAM_PAGE) return removed;
    start = `(${last[0]}`;
  }
}
