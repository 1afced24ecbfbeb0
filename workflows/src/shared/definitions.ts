import { ReadingSchema, StageSchema, StateJsonSchema, StatusSchema } from '@rapport/model';
import {
  FollowUpBodySchema,
  lazySchema,
  LoggedIdSchema,
  StampedInteractionSchema,
} from '@rapport/schema';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import {
  EngagementSettingsSchema,
  FollowUpOutcomeSchema,
  PlaybookSchema,
  TriggerSchema,
} from './settings.js';

/**
 * The contract between the bridge, the workflows and whoever queries them: signal and query
 * definitions with zod schemas for every payload, because each one crosses a process boundary
 * (and, across versions of this code, time).
 *
 * Each schema here is built on its first use (`lazySchema`): the worker evaluates this module
 * again for every workflow it starts, and a workflow parses few of them (a new customer's, its
 * input and its events; a snapshot only after continue-as-new, a hand-over only in a merge; the
 * query answers only outside the workflow).
 */

/** A Kafka offset: 64-bit, kept as the decimal string the client gives. */
export const OffsetSchema = lazySchema(() =>
  z.string().regex(/^(0|[1-9]\d{0,19})$/, 'expected a Kafka offset'),
);

/** One event as the bridge read it from the log: where it was, and what it was. */
export const DeliverySchema = lazySchema(() =>
  z.object({
    partition: z.int().min(0),
    offset: OffsetSchema,
    event: StampedInteractionSchema,
  }),
);
export type Delivery = z.infer<typeof DeliverySchema>;

/** A delivery held until its customer id is merged in; `forwarded`: see EventsSignalSchema. */
export const HeldDeliverySchema = lazySchema(() =>
  DeliverySchema.unwrap().extend({ forwarded: z.boolean().optional() }),
);
export type HeldDelivery = z.infer<typeof HeldDeliverySchema>;

/**
 * One signal per customer per consumed batch: that customer's events in offset order. A workflow
 * merged into another forwards what reaches it after its hand-over with `forwardedBy` (its own
 * customer id): deliveries it already filtered by its partition watermarks, which the survivor
 * checks by eventId only (the bridge may have routed later offsets to the survivor directly).
 */
export const EventsSignalSchema = lazySchema(() =>
  z.object({
    deliveries: z.array(DeliverySchema).min(1),
    forwardedBy: LoggedIdSchema.optional(),
  }),
);
export type EventsSignal = z.infer<typeof EventsSignalSchema>;
export const eventsSignal = defineSignal<[EventsSignal]>('events');

/** From a follow-up to its customer workflow, whichever run of it is current. */
export const FollowUpFinishedSchema = lazySchema(() =>
  z.object({
    followUpId: z.string(),
    outcome: FollowUpOutcomeSchema,
    at: z.number(),
  }),
);
export type FollowUpFinished = z.infer<typeof FollowUpFinishedSchema>;
export const followUpFinishedSignal = defineSignal<[FollowUpFinished]>('followUpFinished');

/**
 * A person asks for a follow-up now (`rapport followup start`, the API's admin route): the named
 * playbook, or the first whose triggers include `manual` for the customer's stage. Refused while
 * one runs. The same shape as the route's body.
 */
export const FollowUpRequestSchema = FollowUpBodySchema;
export type FollowUpRequest = z.infer<typeof FollowUpRequestSchema>;
export const followUpRequestSignal = defineSignal<[FollowUpRequest]>('followUpRequest');

/**
 * From a survivor to a customer id merged into it (an identity link, `profile.merged`): hand your
 * ledger over to `into` and complete. Sent by the survivor when it takes the link; the merged
 * workflow is started for it if it is not running.
 */
export const MergeIntoSchema = lazySchema(() => z.object({ into: LoggedIdSchema }));
export type MergeInto = z.infer<typeof MergeIntoSchema>;
export const mergeIntoSignal = defineSignal<[MergeInto]>('mergeInto');

/** A customer workflow's result: it only ever completes when merged into another (its survivor). */
export const MergedResultSchema = lazySchema(() => z.object({ mergedInto: LoggedIdSchema }));
export type MergedResult = z.infer<typeof MergedResultSchema>;

/** From the customer workflow to its running follow-up: the customer gave value again. */
export const ReengagedSchema = lazySchema(() => z.object({ eventId: z.string(), at: z.number() }));
export type Reengaged = z.infer<typeof ReengagedSchema>;
export const reengagedSignal = defineSignal<[Reengaged]>('reengaged');

/**
 * What was done about a drop. `skipped_backfill`: the drop was over long before the workflow saw
 * it (history imported after the fact, `staleAfterMs`), so no follow-up starts for it; it is
 * recorded so that a user can tell, and start one on purpose.
 */
export const DecisionSchema = lazySchema(() =>
  z.enum(['started', 'running', 'cooldown', 'no_playbook', 'skipped_backfill']),
);
export type Decision = z.infer<typeof DecisionSchema>;

/** A detected drop (or trust breach) and what was done about it. */
export const DropRecordSchema = lazySchema(() =>
  z.object({
    trigger: TriggerSchema,
    /** The instant that mattered: the predicted crossing, the end of the silence, the verdict. */
    at: z.number(),
    detectedAt: z.number(),
    /** The lifecycle stage just before `at`, which chose the playbook. */
    stage: StageSchema,
    engagement: z.number(),
    trust: z.number(),
    decision: DecisionSchema,
    followUpId: z.string().nullable(),
  }),
);
export type DropRecord = z.infer<typeof DropRecordSchema>;

export const FollowUpRecordSchema = lazySchema(() =>
  z.object({
    id: z.string(),
    trigger: TriggerSchema,
    stage: StageSchema,
    playbook: z.string(),
    dropAt: z.number(),
    startedAt: z.number(),
    reengagedAt: z.number().nullable(),
    cancelRequested: z.boolean(),
    finishedAt: z.number().nullable(),
    outcome: FollowUpOutcomeSchema.nullable(),
    /**
     * Cancelled (at `finishedAt`) because its customer was merged into this id: the survivor judges
     * the merged ledger itself, so such a record starts no cooldown.
     */
    mergedInto: z.string().optional(),
  }),
);
export type FollowUpRecord = z.infer<typeof FollowUpRecordSchema>;

/** A request the business must answer, and by when. */
export const OpenRequestSchema = lazySchema(() =>
  z.object({
    threadId: z.string(),
    requestEventId: z.string(),
    channel: z.string(),
    openedAt: z.number(),
    deadline: z.number(),
  }),
);
export type OpenRequest = z.infer<typeof OpenRequestSchema>;

export const CountsSchema = lazySchema(() =>
  z.object({
    /** Events taken from the log into the model (the engine's own, folded when decided, aside). */
    applied: z.int().min(0),
    /** Redeliveries (at or below a partition's watermark) and repeated eventIds, skipped. */
    duplicates: z.int().min(0),
    /** Deliveries refused: another customer's event, or a signal payload that did not parse. */
    rejected: z.int().min(0),
    /**
     * Of those applied, events that arrived when the watermark had already passed their time (more
     * than the allowed lateness late, after the customer's earlier events had settled): counted in
     * the model, but judging nothing (no verdict, no drop).
     */
    late: z.int().min(0).default(0),
  }),
);
export type Counts = z.infer<typeof CountsSchema>;

/**
 * Everything a run hands to the next one when it continues as new. Timers are carried as the
 * absolute instants they wait for (SLA deadlines here; drop instants follow from the model
 * state), so the next run re-arms exactly the same ones.
 */
export const SnapshotSchema = lazySchema(() =>
  z.object({
    customerId: LoggedIdSchema,
    /** The settled state: every event up to the watermark, and the engine's own verdicts. */
    model: StateJsonSchema,
    /** Events taken but not settled yet, in the order they happened. */
    pending: z.array(StampedInteractionSchema).default([]),
    /** Event time up to which everything is settled; null before anything was. */
    watermark: z.number().nullable().default(null),
    /** Late arrivals hold the watermark until then; null when none did. */
    heldUntil: z.number().nullable().default(null),
    /** Per partition, the last offset applied: a redelivered event is at or below it. */
    watermarks: z.record(z.string(), OffsetSchema),
    /** The latest applied eventIds, oldest first: the log itself can hold an event twice. */
    recentIds: z.array(z.string()),
    /** The latest eventIds of the engine's own verdicts, folded when decided. */
    decidedIds: z.array(z.string()).default([]),
    /** [instant, engagement] after recent updates, for the relative drop's peak. */
    peaks: z.array(z.tuple([z.number(), z.number()])),
    openRequests: z.array(OpenRequestSchema),
    /** Per trigger, the latest instant already acted on, so one drop fires once. */
    spent: z.partialRecord(TriggerSchema, z.number()),
    drops: z.array(DropRecordSchema),
    followUps: z.array(FollowUpRecordSchema),
    /** Derived events not yet acknowledged by Kafka. */
    outbox: z.array(StampedInteractionSchema),
    counts: CountsSchema,
    /**
     * The customer ids merged into this one (identity links), transitively: their deliveries are
     * taken, keyed `<id>/<partition>`. Absent from snapshots of runs before merges.
     */
    aliases: z.array(LoggedIdSchema).optional(),
    /**
     * Deliveries of another customer id not merged in yet (the bridge routed them here before the
     * link's hand-over arrived), in arrival order; taken once their id is absorbed.
     */
    heldAliases: z.array(HeldDeliverySchema).optional(),
  }),
);
export type Snapshot = z.infer<typeof SnapshotSchema>;

/**
 * From a workflow merged away to its survivor: its whole hand-over (its `aliases` included), to be
 * folded into the survivor's (`Engagement.absorb`). Idempotent: an id already absorbed is ignored.
 */
export const AbsorbSchema = lazySchema(() =>
  z.object({ from: LoggedIdSchema, snapshot: SnapshotSchema }),
);
export type Absorb = z.infer<typeof AbsorbSchema>;
export const absorbSignal = defineSignal<[Absorb]>('absorb');

export const CustomerEngagementInputSchema = lazySchema(() =>
  z.object({
    customerId: LoggedIdSchema,
    /** Fixed settings (tests); otherwise each run loads the worker's current ones. */
    settings: EngagementSettingsSchema.optional(),
    snapshot: SnapshotSchema.optional(),
    /** Started to be merged at once: as if it had been signalled `mergeInto`. */
    mergeInto: LoggedIdSchema.optional(),
  }),
);
export type CustomerEngagementInput = z.input<typeof CustomerEngagementInputSchema>;

export const NextCheckSchema = lazySchema(() =>
  z.object({
    /** A drop's trigger, a response deadline, or an event settling (`settle`). */
    reason: z.union([TriggerSchema, z.literal('sla'), z.literal('settle')]),
    at: z.number(),
  }),
);
export type NextCheck = z.infer<typeof NextCheckSchema>;

/** The `state` query: the model state read at workflow time, and the engine's bookkeeping. */
export const CustomerViewSchema = lazySchema(() =>
  z.object({
    customerId: z.string(),
    /** Workflow time of the read. */
    asOf: z.number(),
    reading: ReadingSchema,
    state: StateJsonSchema,
    counts: CountsSchema,
    watermarks: z.record(z.string(), OffsetSchema),
    /** Event time up to which everything is settled (verdicts and drops decided); null before. */
    settledThrough: z.number().nullable().default(null),
    /** Events taken and not settled yet. */
    pending: z.int().min(0).default(0),
    openRequests: z.array(OpenRequestSchema),
    /** The instant the workflow sleeps until, and why. */
    nextCheck: NextCheckSchema.nullable(),
    drops: z.array(DropRecordSchema),
    activeFollowUp: z.string().nullable(),
    /** Derived events waiting for Kafka's acknowledgement. */
    unpublished: z.int().min(0),
    /** Customer ids merged into this one, transitively. */
    aliases: z.array(z.string()).optional(),
    /** Deliveries of ids not merged in yet, held. */
    heldAliases: z.int().min(0).optional(),
    /**
     * Set once this customer was merged into another (the workflow completed, or is completing):
     * the view is the ledger it handed over. Absent before merges existed and while not merged.
     */
    mergedInto: z.string().optional(),
  }),
);
export type CustomerView = z.infer<typeof CustomerViewSchema>;
export const stateQuery = defineQuery<CustomerView>('state');
export const followUpsQuery = defineQuery<FollowUpRecord[]>('followUps');

/**
 * The customer at the drop, in numbers: what the follow-up's notifications say about why. The
 * engine reads them from the model at the drop's instant, so a notification needs nothing from
 * outside the workflow to say them, and every attempt says the same.
 */
export const DropFactsSchema = lazySchema(() =>
  z.object({
    engagement: z.number(),
    trust: z.number(),
    status: StatusSchema,
    /** What the customer gave and what the business gave: now (decayed) and over the relationship. */
    given: z.number(),
    received: z.number(),
    lifetime: z.object({ given: z.number(), received: z.number() }),
    /** The customer's last inbound event; null when never heard from. */
    lastHeardAt: z.number().nullable(),
    /** Their usual days between exchanges; null without a rhythm. */
    rhythmDays: z.number().nullable(),
    /** What broke trust (a trust breach): the event's type, `sla.missed` for a request left unanswered. */
    cause: z.string().optional(),
  }),
);
export type DropFacts = z.infer<typeof DropFactsSchema>;

export const FollowUpInputSchema = lazySchema(() =>
  z.object({
    followUpId: z.string(),
    customerId: LoggedIdSchema,
    /** The customer workflow's id (no run id: a signal reaches whichever run is current). */
    parentWorkflowId: z.string(),
    trigger: TriggerSchema,
    stage: StageSchema,
    dropAt: z.number(),
    playbook: PlaybookSchema,
    /** Absent from follow-ups started before notifications said why (and by the legacy engine). */
    facts: DropFactsSchema.optional(),
  }),
);
export type FollowUpInput = z.input<typeof FollowUpInputSchema>;

export const StepResultSchema = lazySchema(() =>
  z.object({
    index: z.int().min(0),
    kind: z.enum(['notify', 'escalate', 'wait', 'close']),
    startedAt: z.number(),
    /** What happened: `delivered`, `skipped: …`, `failed: …`, `re_engaged`, `timed_out`. */
    result: z.string(),
  }),
);
export type StepResult = z.infer<typeof StepResultSchema>;

export const FollowUpProgressSchema = lazySchema(() =>
  z.object({
    steps: z.array(StepResultSchema),
    reengagedAt: z.number().nullable(),
    outcome: FollowUpOutcomeSchema.nullable(),
  }),
);
export type FollowUpProgress = z.infer<typeof FollowUpProgressSchema>;
export const progressQuery = defineQuery<FollowUpProgress>('progress');

/**
 * A follow-up as its customer workflow records it, with the steps its own workflow reports (its
 * `progress` query): null when that query failed (the follow-up's history is gone, or Temporal
 * did not answer for it), which takes nothing from the other follow-ups.
 */
export const FollowUpWithStepsSchema = lazySchema(() =>
  FollowUpRecordSchema.unwrap().extend({
    steps: z.array(StepResultSchema).nullable(),
  }),
);
export type FollowUpWithSteps = z.infer<typeof FollowUpWithStepsSchema>;

/** How many follow-ups a CustomerWorkflow holds, the latest: what a dashboard shows. */
export const LATEST_FOLLOW_UPS = 10;

/**
 * A customer's engagement workflow as the query API answers it (`GET
 * /v1/customers/:id/workflow`) and `describeCustomerWorkflow` reads it: its `state` query as the
 * workflow answers it, and its latest follow-ups, newest first, with their steps. Instants are
 * epoch milliseconds throughout, as the workflows keep them (the view's `state` is the model's own
 * JSON form): only the read model's views are in ISO-8601.
 */
export const CustomerWorkflowSchema = lazySchema(() =>
  z.object({
    customerId: z.string(),
    workflow: CustomerViewSchema,
    /** Newest first. */
    followUps: z.array(FollowUpWithStepsSchema).max(LATEST_FOLLOW_UPS),
  }),
);
export type CustomerWorkflow = z.infer<typeof CustomerWorkflowSchema>;
