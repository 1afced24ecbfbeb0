import { parseWith } from '@rapport/schema';
import { compileCatalog } from './catalog.js';
import { invalid } from './errors.js';
import {
  MS_PER_DAY,
  ModelParamsSchema,
  type ModelParams,
  type ModelParamsInput,
} from './params.js';
import {
  byChannelOf,
  headlineOf,
  predictedCrossing,
  predictedDormancy,
  readState,
  type Headline,
  type Reading,
} from './read.js';
import { overdueAt, rhythmOf } from './rhythm.js';
import { stateFromJson, stateToJson, type StateJson } from './serialize.js';
import { applyEvent, emptyState, mergeStates, type FoldableEvent, type State } from './state.js';

/**
 * The engagement model with its parameters bound. Every function is pure and deterministic: no
 * clock (time is passed in, epoch milliseconds), no I/O, no Node built-ins, so the projector and
 * the customer workflow (inside Temporal's sandbox) compute the same thing from the same log.
 */
export interface Model {
  readonly params: ModelParams;
  /** The identity of merge: no events. */
  empty(): State;
  /** The state of one event. */
  single(event: FoldableEvent): State;
  /** Folds one event in; equal to merge(state, single(event)). */
  apply(state: State, event: FoldableEvent): State;
  /** Associative and commutative: the state of both event multisets together. */
  merge(a: State, b: State): State;
  /** The read view at instant t, with decay applied up to t. */
  at(state: State, t: number): Reading;
  /** The part of `at` that places the customer (see Headline), much cheaper. */
  headline(state: State, t: number): Headline;
  /**
   * Lifetime interactions per channel, as `at(state, t).ledger.counts.byChannel` gives them for
   * any t, without the rest of the reading: with `headline`, what a count of customers by
   * status, stage and channel needs.
   */
  channelCounts(state: State): Reading['ledger']['counts']['byChannel'];
  /** When engagement falls below `threshold` (0–100) if nothing else happens; see read.ts. */
  predictedCrossingTime(state: State, threshold: number): number | null;
  /** When the customer's silence makes them dormant; null with no interactions. */
  predictedDormancyTime(state: State): number | null;
  /** When the customer's silence outgrows their own rhythm; null without one (see rhythm.ts). */
  predictedOverdueTime(state: State): number | null;
  toJSON(state: State): StateJson;
  fromJSON(json: unknown): State;
}

/** Validates the parameters once (throws ModelError MODEL_PARAMS_INVALID) and binds them. */
export function createModel(input: ModelParamsInput = {}): Model {
  const parsed = parseWith(ModelParamsSchema, input);
  if (!parsed.ok) throw invalid('MODEL_PARAMS_INVALID', 'Invalid model parameters', parsed.issues);
  const params = parsed.value;
  const catalog = compileCatalog(params.catalog, params.channels);
  const context = {
    params,
    rates: {
      ledger: Math.LN2 / (params.halfLifeDays * MS_PER_DAY),
      trust: Math.LN2 / (params.trustHalfLifeDays * MS_PER_DAY),
    },
    catalog,
    rows: { limit: params.trackedTypes, rankOf: catalog.rankOf },
  };
  return {
    params,
    empty: emptyState,
    single: (event) => applyEvent(emptyState(), event, context),
    apply: (state, event) => applyEvent(state, event, context),
    merge: (a, b) => mergeStates(a, b, context),
    at: (state, t) => readState(state, t, context),
    headline: (state, t) => headlineOf(state, t, context),
    channelCounts: byChannelOf,
    predictedCrossingTime: (state, threshold) => predictedCrossing(state, threshold, context),
    predictedDormancyTime: (state) => predictedDormancy(state, params),
    predictedOverdueTime: (state) => overdueAt(rhythmOf(state, params)),
    toJSON: stateToJson,
    fromJSON: stateFromJson,
  };
}
