import { MAX_INDEX_SHARDS } from '@rapport/config';

/** Stream ids are `<ms>-<seq>`; compared as numbers, never as text (`9-0` < `10-0`). */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** A number as Redis writes one in a stream id: no leading zero, so at most 20 digits long. */
const PART = '(?:0|[1-9]\\d{0,19})';

/**
 * A place in the change streams, as an event's `id:` and `Last-Event-ID` carry it: the last id
 * sent of each index shard's stream, in shard order, joined by `.`. With one shard it is that
 * stream's id, as before shards. Ids are as Redis writes them: Redis refuses some others (a part
 * of many leading zeros), which would fail the request instead of answering 400.
 */
export const POSITION = new RegExp(`^${PART}-${PART}(?:\\.${PART}-${PART})*$`);

/** The longest position: a safe integer and a sequence per shard, and the dots between. */
export const MAX_POSITION_LENGTH = MAX_INDEX_SHARDS * 34;

/** How far ahead of this clock a stream id may be dated (Redis stamps ids with its own clock). */
const MAX_ID_AHEAD_MS = 60 * 60 * 1000;

/**
 * Whether `text` is an id this stream could have sent by `nowMs`: `<ms>-<seq>`, both parts exact
 * integers (Redis refuses ids past 64 bits), and not dated in the future.
 */
function isPossibleStreamId(text: string, nowMs: number): boolean {
  const [ms = Number.NaN, seq = Number.NaN] = text.split('-').map(Number);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) && ms <= nowMs + MAX_ID_AHEAD_MS;
}

/**
 * Whether `text` is a position this stream could have sent by `nowMs`: each id possible, and no
 * more of them than shards there can be.
 */
export function isPossiblePosition(text: string, nowMs: number): boolean {
  if (text.length > MAX_POSITION_LENGTH || !POSITION.test(text)) return false;
  const ids = parsePosition(text);
  return ids.length <= MAX_INDEX_SHARDS && ids.every((id) => isPossibleStreamId(id, nowMs));
}

export const parsePosition = (text: string): string[] => text.split('.');

export const formatPosition = (ids: readonly string[]): string => ids.join('.');
