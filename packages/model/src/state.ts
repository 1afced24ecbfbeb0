import { instantMs, type Interaction } from '@rapport/schema';
import type { Catalog, CatalogEntry, Milestone } from './catalog.js';
import { ModelError } from './errors.js';
import { addToRow, mergedRows, rescaledRows, ROW, type RowPolicy } from './rows.js';
import { addToSparse, bump, get, mergedSparse, type Sparse, type SparseDraft } from './vectors.js';

/** What the fold reads from an event; any richer event (stamped, derived) is one. */
export type FoldableEvent = Pick<
  Interaction,
  | 'type'
  | 'channel'
  | 'direction'
  | 'occurredAt'
  | 'initiator'
  | 'value'
  | 'sentiment'
  | 'outcome'
  | 'appeal'
>;

// Positions in State.sums, grouped by how each part combines. One flat array rather than five,
// because the fold copies it on every event and one copy is cheaper than five.

/** Decayed with the ledger half-life, valued at State.t. */
export const LEDGER = {
  attention: 0,
  voluntary: 1,
  public: 2,
  formal: 3,
  sentimentPositive: 4,
  sentimentNegative: 5,
  ethos: 6,
  pathos: 7,
  logos: 8,
} as const;
/** Trust evidence, decayed with the trust half-life, valued at State.t. */
export const TRUST = {
  warmthPositive: 9,
  warmthNegative: 10,
  competencePositive: 11,
  competenceNegative: 12,
} as const;
/**
 * Undecayed lifetime totals of value and of interactions, and the count of the customer's
 * exchanges (their rhythm: see isRhythmic).
 */
export const LIFETIME = {
  given: 13,
  attention: 14,
  received: 15,
  inbound: 16,
  outbound: 17,
  exchanges: 18,
} as const;
/** Earliest instants (a merge keeps the min), +Infinity until reached. */
export const FIRSTS = { seen: 19, conversion: 20, activation: 21, exchange: 22 } as const;
/** Latest instants (a merge keeps the max), −Infinity until reached. */
export const LASTS = { inbound: 23, conversion: 24, churn: 25, exchange: 26 } as const;

/** [start, end) of each part of State.sums. */
export const PARTS = {
  ledger: [0, 9],
  trust: [9, 13],
  lifetime: [13, 19],
  firsts: [19, 23],
  lasts: [23, 27],
} as const;

interface Shape<Numbers extends readonly number[], Table> {
  /** Events folded, signals included; 0 only for the empty state. */
  n: number;
  /** Reference instant (epoch ms): the latest event time folded. */
  t: number;
  sums: Numbers;
  /** Rows per event type (see rows.ts); G and R are column sums, so they are not stored twice. */
  types: Table;
  /** Lifetime interactions per channel, in key order. */
  channels: Table;
}

/**
 * A customer's state: a function of the multiset of events folded, so any order of the same
 * events gives the same state. Every part is a sum, a min or a max; decayed sums are valued at
 * the latest event time `t`, so a merge or a later event rescales them by e^(−λΔt) ≤ 1 and
 * nothing can overflow, however far apart 1970 and 2100 are.
 */
export type State = Readonly<Shape<readonly number[], Sparse>>;
type Draft = Shape<number[], SparseDraft>;

/** Decay rates λ = ln 2 / half-life, per millisecond. */
export interface DecayRates {
  readonly ledger: number;
  readonly trust: number;
}

export interface FoldContext {
  readonly rates: DecayRates;
  readonly catalog: Catalog;
  readonly rows: RowPolicy;
}

const filled = ([start, end]: readonly [number, number], value: number) =>
  new Array<number>(end - start).fill(value);

const EMPTY_SUMS: readonly number[] = [
  ...filled([PARTS.ledger[0], PARTS.firsts[0]], 0),
  ...filled(PARTS.firsts, Number.POSITIVE_INFINITY),
  ...filled(PARTS.lasts, Number.NEGATIVE_INFINITY),
];

function emptyDraft(t: number): Draft {
  return {
    n: 0,
    t,
    sums: EMPTY_SUMS.slice(),
    types: { keys: [], values: [] },
    channels: { keys: [], values: [] },
  };
}

export const emptyState = (): State => emptyDraft(0);

/** e^(−λΔt): what a sum valued Δt ago is worth now. */
export function decay(elapsed: number, rate: number): number {
  return elapsed === 0 ? 1 : Math.exp(-elapsed * rate);
}

/** A fresh copy valued at `t` ≥ state.t, for the caller to add to. */
function rebased(state: State, t: number, rates: DecayRates): Draft {
  if (state.n === 0) return emptyDraft(t);
  const ledger = decay(t - state.t, rates.ledger);
  const trust = decay(t - state.t, rates.trust);
  const sums = state.sums.slice();
  scaleRange(sums, PARTS.ledger, ledger);
  scaleRange(sums, PARTS.trust, trust);
  return {
    n: state.n,
    t,
    sums,
    types: rescaledRows(state.types, { value: ledger, evidence: trust }),
    channels: { keys: state.channels.keys, values: state.channels.values.slice() },
  };
}

function scaleRange(values: number[], [start, end]: readonly [number, number], factor: number) {
  for (let i = start; i < end; i++) values[i] = get(values, i) * factor;
}

export function mergeStates(a: State, b: State, context: FoldContext): State {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const t = Math.max(a.t, b.t);
  const [la, lb] = [decay(t - a.t, context.rates.ledger), decay(t - b.t, context.rates.ledger)];
  const [ta, tb] = [decay(t - a.t, context.rates.trust), decay(t - b.t, context.rates.trust)];
  const sums = a.sums.map((x, i) => {
    const y = get(b.sums, i);
    if (i < PARTS.trust[0]) return x * la + y * lb;
    if (i < PARTS.lifetime[0]) return x * ta + y * tb;
    if (i < PARTS.firsts[0]) return x + y;
    return i < PARTS.lasts[0] ? Math.min(x, y) : Math.max(x, y);
  });
  return {
    n: a.n + b.n,
    t,
    sums,
    types: mergedRows(
      a.types,
      { value: la, evidence: ta },
      b.types,
      { value: lb, evidence: tb },
      context.rows,
    ),
    channels: mergedSparse(a.channels, b.channels),
  };
}

/** Folds one event: exactly merge(state, single(event)), without building the single state. */
export function applyEvent(state: State, event: FoldableEvent, context: FoldContext): State {
  const at = instantMs(event.occurredAt);
  if (Number.isNaN(at)) {
    throw new ModelError(
      'MODEL_INPUT_INVALID',
      `occurredAt is not an instant: ${event.occurredAt}`,
    );
  }
  const draft = rebased(state, state.n === 0 ? at : Math.max(state.t, at), context.rates);
  const { key, entry } = context.catalog.typeOf(event.type);
  const weights: Weights = {
    ledger: decay(draft.t - at, context.rates.ledger),
    trust: decay(draft.t - at, context.rates.trust),
  };
  draft.n += 1;
  addEvidence(draft, key, entry, event, weights, context.rows);
  if (entry.milestone !== undefined) addMilestone(draft.sums, entry.milestone, at);
  if (entry.kind !== 'signal') {
    addInteraction(draft, key, entry, event, at, weights.ledger, context);
  }
  return draft;
}

/** How much of the event is left at the draft's reference time, per decay rate. */
interface Weights {
  readonly ledger: number;
  readonly trust: number;
}

/**
 * Warmth is what the customer feels about the business's intent: SLA verdicts, unsubscribes and
 * the sentiment they express. Competence is whether promises are kept: the catalog's default for
 * the type, unless the event states its `outcome`.
 */
function addEvidence(
  draft: Draft,
  key: string,
  entry: CatalogEntry,
  event: FoldableEvent,
  weights: Weights,
  rows: RowPolicy,
): void {
  const sentiment = event.sentiment ?? 0;
  const warmth = entry.warmth + sentiment;
  const competence =
    event.outcome === undefined ? entry.competence : event.outcome === 'kept' ? 1 : -1;
  const { sums } = draft;
  addSigned(sums, TRUST.warmthPositive, TRUST.warmthNegative, warmth * weights.trust);
  addSigned(sums, TRUST.competencePositive, TRUST.competenceNegative, competence * weights.trust);
  addSigned(sums, LEDGER.sentimentPositive, LEDGER.sentimentNegative, sentiment * weights.ledger);
  const net = warmth + competence;
  if (net !== 0) addToRow(draft.types, key, ROW.evidence, net * weights.trust, rows);
}

function addSigned(sums: number[], positive: number, negative: number, amount: number): void {
  if (amount > 0) bump(sums, positive, amount);
  else if (amount < 0) bump(sums, negative, -amount);
}

function addMilestone(sums: number[], milestone: Milestone, at: number): void {
  if (milestone === 'conversion') {
    lowerTo(sums, FIRSTS.conversion, at);
    raiseTo(sums, LASTS.conversion, at);
  } else if (milestone === 'activation') {
    lowerTo(sums, FIRSTS.activation, at);
  } else {
    raiseTo(sums, LASTS.churn, at);
  }
}

/**
 * An event's value on each side. Its own direction's side gets its `value` or the catalog weight;
 * an exchange's other side gets the reciprocal, scaled by the same ratio as the event's value
 * (unscaled when its own weight is 0, as there is no ratio to keep).
 */
function sidesOf(entry: CatalogEntry, event: FoldableEvent, inbound: boolean) {
  const weight = inbound ? entry.inbound : entry.outbound;
  const value = event.value ?? weight;
  const scale = event.value === undefined || weight === 0 ? 1 : event.value / weight;
  const other = entry.reciprocal === 0 ? 0 : entry.reciprocal * scale;
  return inbound ? { customer: value, business: other } : { customer: other, business: value };
}

function addInteraction(
  draft: Draft,
  key: string,
  entry: CatalogEntry,
  event: FoldableEvent,
  at: number,
  weight: number,
  context: FoldContext,
): void {
  const inbound = event.direction === 'inbound';
  const { customer, business } = sidesOf(entry, event, inbound);
  const { sums } = draft;
  // What the customer gives is substantive (G) or showing up (P), by kind, in either direction.
  if (entry.kind === 'engagement') {
    if (customer !== 0) addToRow(draft.types, key, ROW.given, customer * weight, context.rows);
    bump(sums, LIFETIME.given, customer);
  } else {
    bump(sums, LEDGER.attention, customer * weight);
    bump(sums, LIFETIME.attention, customer);
  }
  if (business !== 0) addToRow(draft.types, key, ROW.received, business * weight, context.rows);
  if (inbound) {
    bump(sums, LIFETIME.inbound, 1);
    raiseTo(sums, LASTS.inbound, at);
    if (isRhythmic(entry, customer, business)) {
      bump(sums, LIFETIME.exchanges, 1);
      lowerTo(sums, FIRSTS.exchange, at);
      raiseTo(sums, LASTS.exchange, at);
    }
  } else {
    if (event.appeal !== undefined) bump(sums, LEDGER[event.appeal], business * weight);
    bump(sums, LIFETIME.outbound, 1);
  }
  bump(sums, LIFETIME.received, business);
  const decayed = (customer + business) * weight;
  const initiator = event.initiator ?? entry.initiator ?? (inbound ? 'customer' : 'business');
  if (initiator === 'customer') bump(sums, LEDGER.voluntary, decayed);
  const channel = context.catalog.channelOf(event.channel);
  if (channel.traits.public) bump(sums, LEDGER.public, decayed);
  if (channel.traits.formal) bump(sums, LEDGER.formal, decayed);
  addToSparse(draft.channels, channel.key, 1);
  lowerTo(sums, FIRSTS.seen, at);
}

/**
 * A customer's rhythm is the cadence of the exchanges they make: an inbound event of substance in
 * which both sides give (a purchase, a renewal, a paid invoice). Messages are left out: a customer
 * who writes every week and is never answered keeps no rhythm that would shield them.
 */
function isRhythmic(entry: CatalogEntry, customer: number, business: number): boolean {
  return entry.kind === 'engagement' && customer > 0 && business > 0;
}

function lowerTo(sums: number[], index: number, instant: number): void {
  sums[index] = Math.min(get(sums, index), instant);
}

function raiseTo(sums: number[], index: number, instant: number): void {
  sums[index] = Math.max(get(sums, index), instant);
}
