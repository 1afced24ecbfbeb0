import { ChannelSchema, EventTypeSchema } from '@rapport/schema';
import type { z } from 'zod';
import { BytesError, type ByteReader, type ByteWriter } from './bytes.js';
import { OTHER } from './catalog.js';
import { invalid } from './errors.js';
import { LIFETIME, PARTS, type State } from './state.js';
import { ROW_WIDTH } from './rows.js';
import { byKey, get } from './vectors.js';

/**
 * Bumped on any change a reader of the previous layout would misread. Readers upgrade layout 1
 * (before rhythms: no exchange count, first or last exchange) and refuse others.
 */
export const STATE_BYTES_VERSION = 2;

/** The pooled key, or a name the schema accepts. */
const acceptedBy =
  (schema: z.ZodType<string>) =>
  (name: string): boolean =>
    name === OTHER || schema.safeParse(name).success;
const isTypeName = acceptedBy(EventTypeSchema);
const isChannelName = acceptedBy(ChannelSchema);

/**
 * Appends the state's binary form: the same content as stateToJson, in State's own layout (sums
 * in PARTS order with ±Infinity for instants never reached), rows in key order so that equal
 * states are equal bytes and a decoded state sums its rows in the same order as one read from
 * JSON.
 */
export function encodeState(writer: ByteWriter, state: State): void {
  writer.byte(STATE_BYTES_VERSION).uint(state.n).number(state.t);
  for (const value of state.sums) writer.number(value);
  const { keys, values } = state.types;
  writer.uint(keys.length);
  for (const k of keyOrder(keys)) {
    writer.word(keys[k] ?? OTHER);
    for (let c = 0; c < ROW_WIDTH; c++) writer.number(get(values, k * ROW_WIDTH + c));
  }
  writer.uint(state.channels.keys.length);
  state.channels.keys.forEach((key, k) => writer.word(key).uint(get(state.channels.values, k)));
}

/**
 * Reads what encodeState wrote, checking what StateJsonSchema checks of the JSON form; throws
 * ModelError MODEL_STATE_INVALID (it is the caller's to check that no bytes are left over).
 */
export function decodeState(reader: ByteReader): State {
  try {
    return readStateBytes(reader);
  } catch (error) {
    if (!(error instanceof BytesError)) throw error;
    throw invalid('MODEL_STATE_INVALID', 'Not a model state', [
      { path: '(bytes)', message: error.message },
    ]);
  }
}

function readStateBytes(reader: ByteReader): State {
  const version = reader.byte();
  if (version !== STATE_BYTES_VERSION && version !== 1) {
    throw new BytesError(`unknown state layout ${version}`);
  }
  // Layout 1 lacks the last sum of each of the last three parts (the exchanges' count, first
  // and last); they read as never reached.
  const missing = version === 1 ? 1 : 0;
  const n = reader.uint();
  const t = reader.finite('t');
  const sums = [
    ...repeat(PARTS.firsts[0] - missing, (i) => reader.finite(`sums[${i}]`, 0)),
    ...repeat(missing, () => 0),
    ...repeat(width(PARTS.firsts) - missing, () => instantOr(reader, Number.POSITIVE_INFINITY)),
    ...repeat(missing, () => Number.POSITIVE_INFINITY),
    ...repeat(width(PARTS.lasts) - missing, () => instantOr(reader, Number.NEGATIVE_INFINITY)),
    ...repeat(missing, () => Number.NEGATIVE_INFINITY),
  ];
  const inbound = get(sums, LIFETIME.inbound);
  const outbound = get(sums, LIFETIME.outbound);
  if (n < inbound + outbound) throw new BytesError('fewer events than interactions');
  const typeKeys: string[] = [];
  const rows: number[] = [];
  for (let count = reader.uint(); count > 0; count--) {
    const key = reader.word(isTypeName);
    typeKeys.push(key);
    rows.push(
      reader.finite(`${key} given`, 0),
      reader.finite(`${key} received`, 0),
      reader.finite(`${key} evidence`),
    );
  }
  const channelKeys: string[] = [];
  const counts: number[] = [];
  for (let count = reader.uint(); count > 0; count--) {
    channelKeys.push(reader.word(isChannelName));
    counts.push(positive(reader.uint(), 'a channel count'));
  }
  ascending(typeKeys, 'event types');
  ascending(channelKeys, 'channels');
  return {
    n,
    t,
    sums,
    types: { keys: typeKeys, values: rows },
    channels: { keys: channelKeys, values: counts },
  };
}

/** Indexes of `keys` in key order (the order stateToJson writes them in). */
function keyOrder(keys: readonly string[]): number[] {
  return keys
    .map((key, k) => [key, k] as const)
    .sort(byKey)
    .map(([, k]) => k);
}

function width([start, end]: readonly [number, number]): number {
  return end - start;
}

function repeat<T>(count: number, read: (index: number) => T): T[] {
  return Array.from({ length: count }, (_, index) => read(index));
}

/** An instant, or `never` (the ±Infinity of an instant not reached yet). */
function instantOr(reader: ByteReader, never: number): number {
  const value = reader.number();
  if (value === never || (value !== null && Number.isFinite(value))) return value;
  throw new BytesError(`expected an instant or ${never}, got ${value}`);
}

function positive(value: number, what: string): number {
  if (value < 1) throw new BytesError(`${what} must be at least 1`);
  return value;
}

function ascending(keys: readonly string[], what: string): void {
  for (let k = 1; k < keys.length; k++) {
    if ((keys[k - 1] ?? '') >= (keys[k] ?? '')) throw new BytesError(`${what} out of order`);
  }
}
