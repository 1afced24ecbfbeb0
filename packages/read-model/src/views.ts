import {
  ReadingSchema,
  StageSchema,
  StatusSchema,
  type Headline,
  type Model,
} from '@rapport/model';
import { StampedInteractionSchema } from '@rapport/schema';
import { z } from 'zod';
import type { StoredSnapshot } from './history.js';
import type { StoredCustomer } from './record.js';

/**
 * The read model's wire forms: what the query API answers and what the CLI and other clients
 * parse. Instants are ISO-8601 strings; scores are exact doubles (decay applied at `asOf`).
 */
const iso = z.iso.datetime({ offset: true });
const isoOrNull = iso.nullable();

const isoOf = (ms: number) => new Date(ms).toISOString();
const isoOrNullOf = (ms: number | null) => (ms === null ? null : isoOf(ms));

export const CustomerViewSchema = z.object({
  customerId: z.string(),
  /** The instant read: the request's, or the latest event if that is later. */
  asOf: iso,
  engagement: ReadingSchema.shape.engagement,
  participation: ReadingSchema.shape.participation,
  trust: ReadingSchema.shape.trust,
  ledger: ReadingSchema.shape.ledger,
  dimensions: ReadingSchema.shape.dimensions,
  stage: StageSchema,
  status: StatusSchema,
  appeal: ReadingSchema.shape.appeal,
  explanation: ReadingSchema.shape.explanation,
  /** When the status changes if nothing else happens (null: already happened, or never). */
  predictions: z.object({
    coolingAt: isoOrNull,
    atRiskAt: isoOrNull,
    dormantAt: isoOrNull,
    /** When their silence outgrows their own rhythm of exchanges; null without one. */
    overdueAt: isoOrNull,
  }),
  activity: z.object({ firstSeen: isoOrNull, lastInbound: isoOrNull, lastEvent: isoOrNull }),
  /** The cadence of the exchanges the customer makes: purchases, renewals, paid invoices. */
  rhythm: z.object({
    exchanges: ReadingSchema.shape.rhythm.shape.exchanges,
    firstExchange: isoOrNull,
    lastExchange: isoOrNull,
    intervalDays: ReadingSchema.shape.rhythm.shape.intervalDays,
    confidence: ReadingSchema.shape.rhythm.shape.confidence,
  }),
  /** Per channel: lifetime interactions and the latest one (channels outside the catalog: `*`). */
  channels: z.array(
    z.object({ channel: z.string(), interactions: z.int().min(0), lastAt: isoOrNull }),
  ),
  followUps: z.object({
    started: z.int().min(0),
    finished: z.int().min(0),
    /** A follow-up started and not yet reported finished. */
    active: z.boolean(),
    lastStartedAt: isoOrNull,
    lastFinishedAt: isoOrNull,
  }),
  /**
   * Drops the engine acted on, and those it recorded as skipped: over long before it saw them
   * (history imported after the fact), so no follow-up started (docs/workflows.md §3).
   */
  drops: z.object({
    detected: z.int().min(0),
    lastAt: isoOrNull,
    skipped: z.int().min(0),
    lastSkippedAt: isoOrNull,
  }),
  /** Events folded, signals included. */
  events: z.int().min(0),
  revision: z.int().min(1),
  updatedAt: iso,
});
export type CustomerView = z.infer<typeof CustomerViewSchema>;

export function customerView(
  customerId: string,
  stored: StoredCustomer,
  model: Model,
  at: number,
): CustomerView {
  const reading = model.at(stored.state, at);
  const [started, finished, lastStarted, lastFinished] = stored.extras.fu;
  const channels = new Set([
    ...Object.keys(reading.ledger.counts.byChannel),
    ...Object.keys(stored.extras.ch),
  ]);
  return {
    customerId,
    asOf: isoOf(reading.asOf),
    engagement: reading.engagement,
    participation: reading.participation,
    trust: reading.trust,
    ledger: reading.ledger,
    dimensions: reading.dimensions,
    stage: reading.stage,
    status: reading.status,
    appeal: reading.appeal,
    explanation: reading.explanation,
    predictions: predictionsView(reading.predictions),
    activity: {
      firstSeen: isoOrNullOf(reading.timeline.firstSeen),
      lastInbound: isoOrNullOf(reading.timeline.lastInbound),
      lastEvent: isoOrNullOf(reading.timeline.lastEvent),
    },
    rhythm: {
      ...reading.rhythm,
      firstExchange: isoOrNullOf(reading.rhythm.firstExchange),
      lastExchange: isoOrNullOf(reading.rhythm.lastExchange),
    },
    channels: [...channels].sort().map((channel) => ({
      channel,
      interactions: reading.ledger.counts.byChannel[channel] ?? 0,
      lastAt: isoOrNullOf(stored.extras.ch[channel] ?? null),
    })),
    followUps: {
      started,
      finished,
      active: started > finished,
      lastStartedAt: isoOrNullOf(lastStarted),
      lastFinishedAt: isoOrNullOf(lastFinished),
    },
    drops: {
      detected: stored.extras.dr[0],
      lastAt: isoOrNullOf(stored.extras.dr[1]),
      skipped: stored.extras.sk[0],
      lastSkippedAt: isoOrNullOf(stored.extras.sk[1]),
    },
    events: stored.state.n,
    revision: stored.revision,
    updatedAt: isoOf(stored.updatedAt),
  };
}

function predictionsView(predictions: Headline['predictions']): CustomerView['predictions'] {
  return {
    coolingAt: isoOrNullOf(predictions.coolingAt),
    atRiskAt: isoOrNullOf(predictions.atRiskAt),
    dormantAt: isoOrNullOf(predictions.dormantAt),
    overdueAt: isoOrNullOf(predictions.overdueAt),
  };
}

/** One row of a list: enough to triage, with the instants the list can be sorted by. */
export const CustomerSummarySchema = z.object({
  customerId: z.string(),
  status: StatusSchema,
  stage: StageSchema,
  engagement: ReadingSchema.shape.engagement,
  participation: ReadingSchema.shape.participation,
  trust: z.number().min(0).max(1),
  predictions: CustomerViewSchema.shape.predictions,
  lastEvent: isoOrNull,
  /** The customer's latest own move: what a list of people at risk is read by. */
  lastInbound: isoOrNull,
});
export type CustomerSummary = z.infer<typeof CustomerSummarySchema>;

export function customerSummary(customerId: string, reading: Headline): CustomerSummary {
  return {
    customerId,
    status: reading.status,
    stage: reading.stage,
    engagement: reading.engagement,
    participation: reading.participation,
    trust: reading.trust.value,
    predictions: predictionsView(reading.predictions),
    lastEvent: isoOrNullOf(reading.timeline.lastEvent),
    lastInbound: isoOrNullOf(reading.timeline.lastInbound),
  };
}

export const CustomerListSchema = z.object({
  asOf: iso,
  items: z.array(CustomerSummarySchema),
  /** Pass as `cursor` for the next page; null at the end. */
  nextCursor: z.string().nullable(),
});
export type CustomerList = z.infer<typeof CustomerListSchema>;

const count = z.int().min(0);

/**
 * Customers counted at one instant, each read as `GET /v1/customers/:id` reads them (`status`,
 * `stage`, `channels` of that view). Every status and stage is present, 0 when none.
 */
export const SummarySchema = z.object({
  /** The instant read: the request's (or `at`), to the second. */
  asOf: iso,
  customers: count,
  status: z.record(StatusSchema, count),
  stage: z.record(StageSchema, count),
  /**
   * Per channel, customers with at least one interaction on it (catalog channels; others `*`),
   * as the list's `channel` filter selects them; only channels that have some.
   */
  channels: z.record(z.string(), z.int().min(1)),
});
export type Summary = z.infer<typeof SummarySchema>;

/** To `digits` decimals, as the JSON of the stored figures spells them. */
export const round = (value: number, digits: number) => Number(value.toFixed(digits));

export const SnapshotSchema = z.object({
  at: iso,
  engagement: z.number(),
  participation: z.number(),
  trust: z.number(),
  status: StatusSchema,
  stage: StageSchema,
});
export type Snapshot = z.infer<typeof SnapshotSchema>;

export function snapshotOf([
  at,
  engagement,
  participation,
  trust,
  status,
  stage,
]: StoredSnapshot): Snapshot {
  return { at: isoOf(at), engagement, participation, trust, status, stage };
}

/** An event as the timeline keeps it: the stamped event without its customer and properties. */
export const TimelineEntrySchema = StampedInteractionSchema.omit({
  customerId: true,
  properties: true,
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const HistorySchema = z.object({
  customerId: z.string(),
  /** Oldest first, for a chart; at most the configured history length. */
  snapshots: z.array(SnapshotSchema),
});

export const TimelineSchema = z.object({
  customerId: z.string(),
  /** Newest first, in the order the projector applied them. */
  events: z.array(TimelineEntrySchema),
});

/** What the change stream carries per state change (the stream entry id is its SSE id). */
export const ChangeSchema = z.object({
  customerId: z.string(),
  revision: z.int().min(1),
  status: StatusSchema,
  stage: StageSchema,
  engagement: z.number(),
  participation: z.number(),
  trust: z.number(),
  /** When the projector wrote the change; status and scores are read at this instant. */
  changedAt: iso,
  lastEvent: isoOrNull,
  events: z.int().min(0),
  /** The newest event (by log position) the write applied. */
  eventId: z.string().nullable(),
});
export type Change = z.infer<typeof ChangeSchema>;

/**
 * A reading's figures as the read model stores them (a history point, a change): engagement and
 * participation to 2 decimals, trust to 4.
 */
export function roundedFigures(reading: Headline): {
  engagement: number;
  participation: number;
  trust: number;
} {
  return {
    engagement: round(reading.engagement, 2),
    participation: round(reading.participation, 2),
    trust: round(reading.trust.value, 4),
  };
}

/** The stream entry's payload: the change without its customer, which is its own field. */
export function changePayload(
  revision: number,
  reading: Headline,
  changedAt: number,
  events: number,
  eventId: string | null,
): string {
  return JSON.stringify({
    revision,
    status: reading.status,
    stage: reading.stage,
    ...roundedFigures(reading),
    changedAt: isoOf(changedAt),
    lastEvent: isoOrNullOf(reading.timeline.lastEvent),
    events,
    eventId,
  } satisfies Omit<Change, 'customerId'>);
}
