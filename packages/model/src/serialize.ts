import { z } from 'zod';
import { ChannelSchema, EventTypeSchema, lazySchema, parseWith } from '@rapport/schema';
import { OTHER } from './catalog.js';
import { invalid } from './errors.js';
import { LIFETIME, PARTS, type State } from './state.js';
import { ROW, ROW_WIDTH } from './rows.js';
import { byKey, finiteOrNull, get } from './vectors.js';

/**
 * Bumped on any change a reader of the previous version would misread. Readers upgrade version 1
 * (before rhythms) and refuse others.
 */
export const STATE_VERSION = 2;

const amount = z.number().min(0);
const width = ([start, end]: readonly [number, number]) => end - start;
const sums = (part: readonly [number, number]) => z.array(amount).length(width(part));
const instants = (part: readonly [number, number]) =>
  z.array(z.number().nullable()).length(width(part));

/**
 * The stored form of a state: exact (every double round-trips through JSON), keys sorted, keys
 * short, because one is kept per customer. Array positions follow the layouts in state.ts and
 * rows.ts; docs/model.md lists them. Built on its first use (`lazySchema`): every workflow loads
 * this module, and only one handed a snapshot reads a stored state.
 */
export const StateJsonSchema = lazySchema(() =>
  z
    .strictObject({
      /** Version of this form. */
      v: z.literal(STATE_VERSION),
      /** Events folded. */
      n: z.int().min(0),
      /** Reference instant (epoch ms) at which the decayed sums are valued. */
      t: z.number(),
      /** Ledger-decayed sums (LEDGER). */
      l: sums(PARTS.ledger),
      /** Trust-decayed evidence (TRUST). */
      r: sums(PARTS.trust),
      /** Lifetime totals and the count of exchanges (LIFETIME). */
      s: sums(PARTS.lifetime),
      /** Earliest instants (FIRSTS), null if never. */
      f: instants(PARTS.firsts),
      /** Latest instants (LASTS), null if never. */
      z: instants(PARTS.lasts),
      /** Rows per event type: [given, received, evidence], trailing zeros left out. */
      k: z.record(
        z.union([EventTypeSchema, z.literal(OTHER)]),
        z.tuple([amount, amount.optional(), z.number().optional()]),
      ),
      /** Lifetime interactions per channel. */
      c: z.record(z.union([ChannelSchema, z.literal(OTHER)]), z.int().min(1)),
    })
    .refine(
      (json) =>
        json.n >=
        lifetimeCount(json.s, LIFETIME.inbound) + lifetimeCount(json.s, LIFETIME.outbound),
      {
        message: 'fewer events than interactions',
        path: ['n'],
      },
    ),
);
export type StateJson = z.infer<typeof StateJsonSchema>;
type Row = StateJson['k'][string];

export function stateToJson(state: State): StateJson {
  return {
    v: STATE_VERSION,
    n: state.n,
    t: state.t,
    l: state.sums.slice(...PARTS.ledger),
    r: state.sums.slice(...PARTS.trust),
    s: state.sums.slice(...PARTS.lifetime),
    f: state.sums.slice(...PARTS.firsts).map(finiteOrNull),
    z: state.sums.slice(...PARTS.lasts).map(finiteOrNull),
    k: sortedRecord(
      state.types.keys.map((key, k) => [key, trimmed(state.types.values, k * ROW_WIDTH)] as const),
    ),
    c: Object.fromEntries(
      state.channels.keys.map((key, k) => [key, get(state.channels.values, k)]),
    ),
  };
}

/** Reads a stored state; throws ModelError MODEL_STATE_INVALID with every issue found. */
export function stateFromJson(json: unknown): State {
  const parsed = parseWith(StateJsonSchema, upgraded(json));
  if (!parsed.ok) throw invalid('MODEL_STATE_INVALID', 'Not a model state', parsed.issues);
  const { n, t, l, r, s, f, z, k, c } = parsed.value;
  return {
    n,
    t,
    sums: [
      ...l,
      ...r,
      ...s,
      ...f.map((first) => first ?? Number.POSITIVE_INFINITY),
      ...z.map((last) => last ?? Number.NEGATIVE_INFINITY),
    ],
    types: {
      keys: Object.keys(k),
      values: Object.values(k).flatMap(([given, received = 0, evidence = 0]) => [
        given,
        received,
        evidence,
      ]),
    },
    channels: channelsOf(c),
  };
}

/**
 * Version 1 had no rhythm: its states read as having made no exchanges yet (the count, first and
 * last exchange appended to s, f and z). A replay of the log recounts them exactly.
 */
function upgraded(json: unknown): unknown {
  if (!isRecord(json) || json['v'] !== 1) return json;
  const { s, f, z } = json;
  if (!Array.isArray(s) || !Array.isArray(f) || !Array.isArray(z)) return json;
  const appended = (values: unknown[], value: unknown): unknown[] => [...values, value];
  return {
    ...json,
    v: STATE_VERSION,
    s: appended(s, 0),
    f: appended(f, null),
    z: appended(z, null),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A row that decayed to zero stays: which types hold a row must not depend on event order. */
function trimmed(values: readonly number[], at: number): Row {
  const given = get(values, at + ROW.given);
  const received = get(values, at + ROW.received);
  const evidence = get(values, at + ROW.evidence);
  if (evidence !== 0) return [given, received, evidence];
  return received !== 0 ? [given, received] : [given];
}

/** Channel keys are kept in order (see addToSparse), whatever order the stored object has. */
function channelsOf(counts: Readonly<Record<string, number>>): State['channels'] {
  const entries = Object.entries(counts).sort(byKey);
  return { keys: entries.map(([key]) => key), values: entries.map(([, count]) => count) };
}

/** A count in the stored lifetime part, addressed by its position in State.sums. */
function lifetimeCount(lifetime: readonly number[], index: number): number {
  return get(lifetime, index - PARTS.lifetime[0]);
}

function sortedRecord<V>(entries: ReadonlyArray<readonly [string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(byKey));
}
