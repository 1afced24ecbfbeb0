import { z } from 'zod';
import { ChannelSchema, EventTypeSchema } from '@rapport/schema';
import { CatalogPatchSchema, ChannelTraitsPatchSchema } from './catalog.js';

export const MS_PER_DAY = 86_400_000;

const days = z.number().positive().max(36_500);
const scale = z.number().positive().max(1e9);
const score = z.number().gt(0).lt(100);

/** Every tunable of the model, with the defaults docs/model.md justifies. */
export const ModelParamsSchema = z.strictObject({
  /** Half-life of the value ledger and of everything engagement is made of. */
  halfLifeDays: days.default(30),
  /** Half-life of trust evidence: trust is slower to earn and slower to forget. */
  trustHalfLifeDays: days.default(90),
  /** Harmonic mean of given and received value (points) at which engagement reads 63. */
  engagementScale: scale.default(10),
  /** Inbound value (points) at which participation reads 63. */
  participationScale: scale.default(5),
  /** Total value exchanged (points) at which the intense dimension reads 0.63. */
  intensityScale: scale.default(30),
  /** Tenure at which the enduring dimension reads 0.5. */
  enduringDays: days.default(365),
  /** Engagement bands: at or above `engaged` is engaged, below `atRisk` is at risk. */
  thresholds: z
    .strictObject({ engaged: score.default(50), atRisk: score.default(20) })
    .refine((bands) => bands.engaged > bands.atRisk, {
      message: 'engaged must be above atRisk',
      path: ['engaged'],
    })
    .prefault({}),
  /** Customer silence after which a customer is dormant. */
  dormantAfterDays: days.default(90),
  /** How long after the first conversion a customer is onboarding, unless activated sooner. */
  onboardingDays: days.default(30),
  /**
   * Each customer's own rhythm: the cadence of the exchanges they make (docs/model.md §8). Off,
   * status and dormancy come from engagement and silence alone, as before rhythms.
   */
  rhythm: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Exchanges (first and last at different instants) before a customer has a rhythm. */
      minExchanges: z.int().min(2).max(1_000).default(2),
      /** Overdue once silent for this many of their usual intervals since the last exchange. */
      overdueAfterIntervals: z.number().gt(1).max(100).default(3),
      /** The overdue span is never shorter: a daily buyer may skip a few days. */
      floorDays: days.default(7),
      /** Nor longer: a yearly renewer is overdue a few weeks after a missed renewal. */
      ceilingDays: days.default(400),
    })
    .refine((rhythm) => rhythm.floorDays <= rhythm.ceilingDays, {
      message: 'floorDays must not exceed ceilingDays',
      path: ['floorDays'],
    })
    .prefault({}),
  /** How many event types an explanation names. */
  explain: z.int().min(1).max(20).default(3),
  /**
   * How many event types keep a row of their own in the state (the best-ranked the customer has;
   * the rest are pooled as "*"). Trades explanation detail for the state's size: every row is
   * stored with each customer.
   */
  trackedTypes: z.int().min(1).max(32).default(8),
  /** Overrides of the value catalog, by event type; new types may be added. */
  catalog: z.record(EventTypeSchema, CatalogPatchSchema).default({}),
  /** Overrides of the channel catalog, by channel; new channels may be added. */
  channels: z.record(ChannelSchema, ChannelTraitsPatchSchema).default({}),
});
export type ModelParams = z.output<typeof ModelParamsSchema>;
export type ModelParamsInput = z.input<typeof ModelParamsSchema>;
