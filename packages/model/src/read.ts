import { z } from 'zod';
import { ModelError } from './errors.js';
import { MS_PER_DAY, type ModelParams } from './params.js';
import {
  decay,
  FIRSTS,
  LASTS,
  LEDGER,
  LIFETIME,
  PARTS,
  TRUST,
  type FoldContext,
  type State,
} from './state.js';
import { overdueAt, rhythmOf, type Rhythm } from './rhythm.js';
import { ROW, ROW_WIDTH } from './rows.js';
import { columnSum, finiteOrNull, get } from './vectors.js';

const unit = z.number().min(0).max(1);
const points = z.number().min(0).max(100);
const amount = z.number().min(0);
const count = z.int().min(0);
const instant = z.number().nullable();

export const StageSchema = z.enum([
  'prospect',
  'onboarding',
  'active',
  'at_risk',
  'dormant',
  'churned',
]);
export type Stage = z.infer<typeof StageSchema>;
export const StatusSchema = z.enum(['engaged', 'cooling', 'at_risk', 'dormant']);
export type Status = z.infer<typeof StatusSchema>;

const flows = { given: amount, attention: amount, received: amount };

/** What `at(state, t)` returns; instants are epoch milliseconds, `null` when there is none. */
export const ReadingSchema = z.object({
  /** The instant read: t, or the latest event if t is before it (the past is not replayable). */
  asOf: z.number(),
  engagement: points,
  participation: points,
  trust: z.object({ value: unit, confidence: unit, warmth: unit, competence: unit }),
  ledger: z.object({
    ...flows,
    lifetime: z.object(flows),
    counts: z.object({
      inbound: count,
      outbound: count,
      signals: count,
      byChannel: z.record(z.string(), count),
    }),
  }),
  dimensions: z.object({
    voluntary: unit,
    positive: unit,
    intense: unit,
    enduring: unit,
    public: unit,
    formal: unit,
    symmetric: unit,
  }),
  stage: StageSchema,
  status: StatusSchema,
  /** Shares of outbound value by appeal, among the outbound events that carry one. */
  appeal: z.object({ ethos: unit, pathos: unit, logos: unit }).nullable(),
  explanation: z.object({
    /**
     * Engagement points owed to each type; all of them together add up to the engagement. An
     * exchange shows both sides: `points` = `given` (what the customer gave in events of this
     * type) + `received` (what the business gave).
     */
    engagement: z.array(
      z.object({ type: z.string(), points: z.number(), given: z.number(), received: z.number() }),
    ),
    /** Trust moved away from ½ by each type; all of them together add up to trust − ½. */
    trust: z.array(z.object({ type: z.string(), effect: z.number() })),
  }),
  timeline: z.object({ firstSeen: instant, lastInbound: instant, lastEvent: instant }),
  /** The cadence of the exchanges the customer makes (purchases, renewals, paid invoices). */
  rhythm: z.object({
    exchanges: count,
    firstExchange: instant,
    lastExchange: instant,
    /** Mean days between their exchanges; null below two at different instants. */
    intervalDays: z.number().positive().nullable(),
    confidence: unit,
  }),
  /**
   * When the status changes if nothing else happens; each is null when it has already happened
   * (or never will). They order the statuses: engaged until `coolingAt`, cooling until
   * `atRiskAt`, at risk until `dormantAt`.
   */
  predictions: z.object({
    /** When the customer stops being engaged: engagement falls below `engaged`, or overdue. */
    coolingAt: instant,
    /** When the customer becomes at risk: overdue if they have a rhythm, else engagement below `atRisk`. */
    atRiskAt: instant,
    /** When the customer's silence makes them dormant. */
    dormantAt: instant,
    /** When their silence outgrows their rhythm; null without one. */
    overdueAt: instant,
  }),
});
export type Reading = z.infer<typeof ReadingSchema>;

/**
 * The part of a reading that places a customer (status, stage, the headline figures, the
 * predicted instants), without the ledger, dimensions and explanation: what lists, indexes and
 * change announcements need, at a fraction of a full reading's cost (a projector takes two per
 * write).
 */
export const HeadlineSchema = ReadingSchema.pick({
  asOf: true,
  engagement: true,
  participation: true,
  trust: true,
  stage: true,
  status: true,
  timeline: true,
  predictions: true,
});
export type Headline = z.infer<typeof HeadlineSchema>;

export interface ReadContext extends FoldContext {
  readonly params: ModelParams;
}

interface Flows {
  /** G: substantive value the customer gives. */
  readonly given: number;
  /** P: the customer showing up. */
  readonly attention: number;
  /** R: value the business gives. */
  readonly received: number;
}

/** A state's decay to the instant read, which a headline and a full reading both start from. */
interface Decayed {
  readonly asOf: number;
  readonly ledgerDecay: number;
  readonly trustDecay: number;
  /** The flows at `asOf`. */
  readonly now: Flows;
}

function decayedTo(state: State, t: number, context: ReadContext): Decayed {
  if (!Number.isFinite(t)) throw new ModelError('MODEL_INPUT_INVALID', `not an instant: ${t}`);
  const asOf = Math.max(t, state.t);
  const ledgerDecay = decay(asOf - state.t, context.rates.ledger);
  const trustDecay = decay(asOf - state.t, context.rates.trust);
  return { asOf, ledgerDecay, trustDecay, now: flowsOf(state, ledgerDecay) };
}

export function headlineOf(state: State, t: number, context: ReadContext): Headline {
  return headlineFrom(state, decayedTo(state, t, context), context);
}

function headlineFrom(
  state: State,
  { asOf, trustDecay, now }: Decayed,
  context: ReadContext,
  rhythm: Rhythm = rhythmOf(state, context.params),
): Headline {
  const { params } = context;
  const engagement = saturated(reciprocal(now), params.engagementScale) * 100;
  const predictions = predictionsOf(state, rhythm, context);
  const status = statusOf(asOf, engagement, predictions, params);
  return {
    asOf,
    engagement,
    participation: saturated(now.given + now.attention, params.participationScale) * 100,
    trust: trustOf(state, trustDecay),
    stage: stageOf(state, asOf, status, params),
    status,
    timeline: {
      firstSeen: finiteOrNull(get(state.sums, FIRSTS.seen)),
      lastInbound: finiteOrNull(get(state.sums, LASTS.inbound)),
      lastEvent: state.n === 0 ? null : state.t,
    },
    predictions,
  };
}

/**
 * With a rhythm, the customer is at risk when overdue and not before: between exchanges their
 * engagement falls by design (a yearly renewer's is low by month two), so it alone cannot make
 * them at risk. Without one, engagement's crossings decide, as they always did.
 */
function predictionsOf(
  state: State,
  rhythm: Rhythm,
  context: ReadContext,
): Headline['predictions'] {
  const { params } = context;
  const overdue = overdueAt(rhythm);
  const cooling = predictedCrossing(state, params.thresholds.engaged, context);
  return {
    coolingAt: overdue === null || cooling === null ? cooling : Math.min(cooling, overdue),
    atRiskAt: overdue ?? predictedCrossing(state, params.thresholds.atRisk, context),
    dormantAt: dormancyOf(state, rhythm, params),
    overdueAt: overdue,
  };
}

export function readState(state: State, t: number, context: ReadContext): Reading {
  const decayed = decayedTo(state, t, context);
  const { ledgerDecay, trustDecay, now } = decayed;
  const rhythm = rhythmOf(state, context.params);
  const headline = headlineFrom(state, decayed, context, rhythm);
  const { params } = context;
  // Property by property, not a spread of the headline: V8 builds a literal of known shape much
  // faster than a spread (docs/performance.md, the engagement model), and on Node 20 a spread
  // given more properties costs each object a hidden class of its own (the spreads).
  return {
    asOf: headline.asOf,
    engagement: headline.engagement,
    participation: headline.participation,
    trust: headline.trust,
    ledger: {
      given: now.given,
      attention: now.attention,
      received: now.received,
      lifetime: lifetimeOf(state),
      counts: countsOf(state),
    },
    dimensions: dimensionsOf(state, now, ledgerDecay, params),
    stage: headline.stage,
    status: headline.status,
    appeal: appealOf(state),
    explanation: {
      engagement: explainEngagement(state, now, headline.engagement, ledgerDecay, params.explain),
      trust: explainTrust(state, trustDecay, params.explain),
    },
    timeline: headline.timeline,
    rhythm: {
      exchanges: rhythm.exchanges,
      firstExchange: rhythm.firstExchange,
      lastExchange: rhythm.lastExchange,
      intervalDays: rhythm.intervalMs === null ? null : rhythm.intervalMs / MS_PER_DAY,
      confidence: rhythm.confidence,
    },
    predictions: headline.predictions,
  };
}

/**
 * Engagement is 100·(1 − e^(−H/k)) with H the harmonic mean of G and R, and both decay by the
 * same e^(−λΔt); so H does too, and engagement is θ exactly when H·e^(−λΔt) = H_θ, where
 * H_θ = −k·ln(1 − θ/100). The instant is t + ln(H/H_θ)/λ = t + h·log2(H/H_θ); null if
 * engagement is already below θ (or θ is not strictly between 0 and 100).
 */
export function predictedCrossing(
  state: State,
  threshold: number,
  context: ReadContext,
): number | null {
  if (!(threshold > 0 && threshold < 100)) return null;
  const reciprocalNow = reciprocal(flowsOf(state, 1));
  const reciprocalAtThreshold = -context.params.engagementScale * Math.log1p(-threshold / 100);
  if (!(reciprocalNow >= reciprocalAtThreshold)) return null;
  return state.t + Math.log(reciprocalNow / reciprocalAtThreshold) / context.rates.ledger;
}

/** When the customer's silence makes them dormant; null with no interactions. */
export function predictedDormancy(state: State, params: ModelParams): number | null {
  return dormancyOf(state, rhythmOf(state, params), params);
}

/**
 * Silence is the customer's: outbound messages do not count. A customer who never spoke has been
 * silent since we first saw them. One with a rhythm sleeps no sooner than twice their overdue
 * span after their last exchange, so a yearly renewer is not dormant by month four.
 */
function dormancyOf(state: State, rhythm: Rhythm, params: ModelParams): number | null {
  const lastInbound = get(state.sums, LASTS.inbound);
  const since = Number.isFinite(lastInbound) ? lastInbound : get(state.sums, FIRSTS.seen);
  if (!Number.isFinite(since)) return null;
  const silent = since + params.dormantAfterDays * MS_PER_DAY;
  const overdue = overdueAt(rhythm);
  return overdue === null ? silent : Math.max(silent, overdue + (rhythm.spanMs ?? 0));
}

function flowsOf(state: State, ledgerDecay: number): Flows {
  return {
    given: columnSum(state.types, ROW.given, ROW_WIDTH) * ledgerDecay,
    attention: get(state.sums, LEDGER.attention) * ledgerDecay,
    received: columnSum(state.types, ROW.received, ROW_WIDTH) * ledgerDecay,
  };
}

/** H = 2GR/(G+R): zero when either side gives nothing, written so that G·R cannot overflow. */
function reciprocal({ given, received }: Flows): number {
  const total = given + received;
  return total > 0 ? 2 * given * (received / total) : 0;
}

/** 1 − e^(−x/k), in [0, 1). */
function saturated(x: number, scale: number): number {
  return -Math.expm1(-x / scale);
}

/** A share with one pseudo-observation on each side, so it starts (and fades back) at ½. */
function share(part: number, whole: number): number {
  return (1 + part) / (2 + whole);
}

function trustOf(state: State, trustDecay: number): Reading['trust'] {
  const evidence = (index: number) => get(state.sums, index) * trustDecay;
  const warmth = [evidence(TRUST.warmthPositive), evidence(TRUST.warmthNegative)] as const;
  const competence = [
    evidence(TRUST.competencePositive),
    evidence(TRUST.competenceNegative),
  ] as const;
  const positive = warmth[0] + competence[0];
  const total = positive + warmth[1] + competence[1];
  return {
    value: share(positive, total),
    confidence: total / (2 + total),
    warmth: share(warmth[0], warmth[0] + warmth[1]),
    competence: share(competence[0], competence[0] + competence[1]),
  };
}

function dimensionsOf(
  state: State,
  now: Flows,
  ledgerDecay: number,
  params: ModelParams,
): Reading['dimensions'] {
  const ledger = (index: number) => get(state.sums, index) * ledgerDecay;
  const total = now.given + now.attention + now.received;
  const exchanged = now.given + now.received;
  const imbalance = exchanged > 0 ? (now.given - now.received) / exchanged : 1;
  const firstSeen = get(state.sums, FIRSTS.seen);
  const tenure = Number.isFinite(firstSeen) ? state.t - firstSeen : 0;
  const sentiment = [ledger(LEDGER.sentimentPositive), ledger(LEDGER.sentimentNegative)] as const;
  return {
    voluntary: share(ledger(LEDGER.voluntary), total),
    positive: share(sentiment[0], sentiment[0] + sentiment[1]),
    intense: saturated(total, params.intensityScale),
    enduring: -Math.expm1((-Math.LN2 * tenure) / (params.enduringDays * MS_PER_DAY)),
    public: share(ledger(LEDGER.public), total),
    formal: share(ledger(LEDGER.formal), total),
    symmetric: 1 - imbalance * imbalance,
  };
}

/**
 * Silence first, then the rhythm (overdue is at risk, on rhythm is never at risk), then
 * engagement. Overdue starts just after its instant, as a crossing does in the indexes' schedule.
 */
function statusOf(
  asOf: number,
  engagement: number,
  { dormantAt, overdueAt }: Headline['predictions'],
  params: ModelParams,
): Status {
  if (dormantAt === null || asOf >= dormantAt) return 'dormant';
  if (overdueAt !== null && asOf > overdueAt) return 'at_risk';
  if (engagement >= params.thresholds.engaged) return 'engaged';
  if (overdueAt !== null) return 'cooling';
  return engagement >= params.thresholds.atRisk ? 'cooling' : 'at_risk';
}

/**
 * Milestones first (a churn after the last conversion ends the relationship), then silence, then
 * the pre-sales and adoption phases, which low engagement is normal in and must not flag.
 */
function stageOf(state: State, asOf: number, status: Status, params: ModelParams): Stage {
  if (get(state.sums, LASTS.churn) > get(state.sums, LASTS.conversion)) return 'churned';
  if (status === 'dormant') return 'dormant';
  const converted = get(state.sums, FIRSTS.conversion);
  if (!Number.isFinite(converted)) return 'prospect';
  const activated = Number.isFinite(get(state.sums, FIRSTS.activation));
  if (!activated && asOf - converted < params.onboardingDays * MS_PER_DAY) return 'onboarding';
  return status === 'at_risk' ? 'at_risk' : 'active';
}

/** Decay scales every appeal alike, so the mix is read from the stored sums directly. */
function appealOf(state: State): Reading['appeal'] {
  const ethos = get(state.sums, LEDGER.ethos);
  const pathos = get(state.sums, LEDGER.pathos);
  const logos = get(state.sums, LEDGER.logos);
  const total = ethos + pathos + logos;
  return total > 0 ? { ethos: ethos / total, pathos: pathos / total, logos: logos / total } : null;
}

/**
 * Euler's theorem splits H exactly: H = G·∂H/∂G + R·∂H/∂R, with ∂H/∂G = 2r², ∂H/∂R = 2g² for
 * g, r the shares of G and R. A type's part is what the customer gave in it times 2r² plus what the
 * business gave in it times 2g², so a blast the customer never answers earns nothing, as it
 * should, and an exchange shows both of its sides.
 */
function explainEngagement(
  state: State,
  now: Flows,
  engagement: number,
  ledgerDecay: number,
  limit: number,
): Reading['explanation']['engagement'] {
  const harmonic = reciprocal(now);
  if (!(harmonic > 0)) return [];
  const total = now.given + now.received;
  const inboundWeight = 2 * (now.received / total) ** 2;
  const outboundWeight = 2 * (now.given / total) ** 2;
  const toPoints = (engagement * ledgerDecay) / harmonic;
  const parts = state.types.keys.map((type, k) => {
    const given = get(state.types.values, k * ROW_WIDTH + ROW.given) * inboundWeight * toPoints;
    const received =
      get(state.types.values, k * ROW_WIDTH + ROW.received) * outboundWeight * toPoints;
    return { type, points: given + received, given, received };
  });
  return largest(parts, (part) => part.points, limit);
}

/** trust − ½ = (α − β)/(2(α + β)) is linear in the evidence, so each type's share is exact. */
function explainTrust(
  state: State,
  trustDecay: number,
  limit: number,
): Reading['explanation']['trust'] {
  const evidence = state.sums.slice(...PARTS.trust).reduce((sum, part) => sum + part, 0);
  const scale = trustDecay / (2 * (2 + evidence * trustDecay));
  const parts = state.types.keys.map((type, k) => ({
    type,
    effect: get(state.types.values, k * ROW_WIDTH + ROW.evidence) * scale,
  }));
  return largest(parts, (part) => part.effect, limit);
}

/** The `limit` items of largest non-zero size; ties go to the type name, so output is stable. */
function largest<T extends { type: string }>(
  items: readonly T[],
  size: (item: T) => number,
  limit: number,
): T[] {
  return items
    .map((item) => ({ item, size: Math.abs(size(item)) }))
    .filter((entry) => entry.size !== 0)
    .sort((a, b) => b.size - a.size || (a.item.type < b.item.type ? -1 : 1))
    .slice(0, limit)
    .map((entry) => entry.item);
}

function lifetimeOf(state: State): Reading['ledger']['lifetime'] {
  return {
    given: get(state.sums, LIFETIME.given),
    attention: get(state.sums, LIFETIME.attention),
    received: get(state.sums, LIFETIME.received),
  };
}

function countsOf(state: State): Reading['ledger']['counts'] {
  const inbound = get(state.sums, LIFETIME.inbound);
  const outbound = get(state.sums, LIFETIME.outbound);
  return {
    inbound,
    outbound,
    signals: state.n - inbound - outbound,
    byChannel: byChannelOf(state),
  };
}

/** Lifetime interactions per channel: counts, so they do not decay and need no instant. */
export function byChannelOf(state: State): Reading['ledger']['counts']['byChannel'] {
  const byChannel: Record<string, number> = {};
  state.channels.keys.forEach((key, k) => (byChannel[key] = get(state.channels.values, k)));
  return byChannel;
}
