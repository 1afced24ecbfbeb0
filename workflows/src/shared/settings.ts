import { ModelParamsSchema, StageSchema, type Stage } from '@rapport/model';
import { ChannelSchema } from '@rapport/schema';
import { z } from 'zod';

/**
 * What makes the customer workflow look at a customer: engagement predicted to cross the drop
 * threshold, a relative drop below a share of the recent peak, silence (dormancy, or a shorter
 * window while onboarding), a trust breach (an SLA missed or a complaint leaves trust low),
 * overdue (silent for longer than the customer's own rhythm of exchanges allows; for a customer
 * with a rhythm it replaces the two engagement triggers), and manual (a person asked for a
 * follow-up: `rapport followup start`).
 */
export const TriggerSchema = z.enum([
  'threshold',
  'relative_drop',
  'silence',
  'trust_breach',
  'overdue',
  'manual',
]);
export type Trigger = z.infer<typeof TriggerSchema>;

export const FollowUpOutcomeSchema = z.enum(['re_engaged', 'no_response', 'cancelled']);
export type FollowUpOutcome = z.infer<typeof FollowUpOutcomeSchema>;

const message = z.string().min(1).max(2_000);
const positiveMs = z
  .int()
  .positive()
  .max(100 * 365 * 86_400_000);

/*
 * Where a notify or escalate step goes is not part of it: a webhook URL often carries a token,
 * and whatever a workflow holds is written into its history. The worker keeps the file's
 * destinations and URLs and looks a step's up by its playbook and index
 * (follow-up/destinations/dispatch.ts). These two are not strict because inputs and settings
 * recorded before that still carry a `url`; parsing drops it.
 */
/** Tell someone (a CRM, a Slack channel, a list of people) where the step's destination says. */
export const NotifyStepSchema = z.object({ kind: z.literal('notify'), message });
/** The same, marked as an escalation for whoever receives it. */
export const EscalateStepSchema = z.object({ kind: z.literal('escalate'), message });

/** Stop here with this outcome. */
export const CloseStepSchema = z.strictObject({
  kind: z.literal('close'),
  outcome: FollowUpOutcomeSchema,
});

/** A playbook step; durations in milliseconds (the playbook file writes them as `7d`). */
export const StepSchema = z.discriminatedUnion('kind', [
  NotifyStepSchema,
  EscalateStepSchema,
  /** Wait until the customer gives value again, at most this long. */
  z.strictObject({ kind: z.literal('wait'), upToMs: positiveMs }),
  CloseStepSchema,
]);
export type Step = z.infer<typeof StepSchema>;

export const PlaybookSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a kebab-case name'),
  description: z.string().max(500).optional(),
  /** The first playbook whose triggers include the trigger and whose stages include the stage. */
  when: z.strictObject({
    triggers: z.array(TriggerSchema).min(1),
    /** The lifecycle stage just before the drop; any stage when left out. */
    stages: z.array(StageSchema).min(1).optional(),
  }),
  steps: z.array(StepSchema).min(1).max(50),
});
export type Playbook = z.infer<typeof PlaybookSchema>;

export const PlaybooksSchema = z
  .array(PlaybookSchema)
  .refine(
    (playbooks) => new Set(playbooks.map((playbook) => playbook.name)).size === playbooks.length,
    { message: 'playbook names must be unique' },
  );

const share = z.number().gt(0).lt(1);

/** Everything the customer workflow is configured with; loaded once per run (see workflow.ts). */
export const EngagementSettingsSchema = z.strictObject({
  /** The model's parameters: the projector must fold with the same ones. */
  model: ModelParamsSchema.prefault({}),
  /** Response deadlines for requests (`expectsResponse` with a `threadId`), by channel. */
  sla: z.strictObject({
    defaultMs: positiveMs,
    byChannel: z.record(ChannelSchema, positiveMs).default({}),
  }),
  /**
   * The allowed lateness (`RAPPORT_ALLOWED_LATENESS`): how late an event may arrive and still be
   * judged in its place. Events settle, and verdicts, drops and follow-ups are decided, this long
   * after they happened (engine.ts). Named for what it was first, a grace for late replies.
   */
  lateArrivalGraceMs: z.int().min(0).max(86_400_000).default(60_000),
  /** Engagement whose predicted crossing is a drop; the model's at-risk band when unset. */
  dropThreshold: z.number().gt(0).lt(100).optional(),
  /** A drop below `share` of the highest engagement within `windowMs` before the latest event. */
  relativeDrop: z.strictObject({ share, windowMs: positiveMs }),
  /** Silence that counts as a drop while onboarding (otherwise the model's dormancy). */
  onboardingSilenceMs: positiveMs,
  /** A negative verdict or complaint that leaves trust below this starts the trust playbook. */
  trustBreachBelow: share,
  /** No follow-up starts within this long after the previous one finished. */
  followUpCooldownMs: z
    .int()
    .min(0)
    .max(100 * 365 * 86_400_000),
  /**
   * A drop instant further in the past than this when it is first seen (a backfill of old
   * history) is not acted on: a follow-up for a silence that ended years ago helps nobody.
   */
  staleAfterMs: positiveMs.default(86_400_000),
  /**
   * Continue as new at this history length even if the server has not suggested it. Servers
   * suggest at thousands of events; tests set a small number to exercise the hand-over.
   */
  historyLimit: z.int().min(10).optional(),
  playbooks: PlaybooksSchema.default([]),
});
export type EngagementSettings = z.output<typeof EngagementSettingsSchema>;
export type EngagementSettingsInput = z.input<typeof EngagementSettingsSchema>;

/** The first playbook that matches the trigger and the stage, if any. */
export function choosePlaybook(
  playbooks: readonly Playbook[],
  trigger: Trigger,
  stage: Stage,
): Playbook | undefined {
  return playbooks.find(
    ({ when }) =>
      when.triggers.includes(trigger) && (when.stages === undefined || when.stages.includes(stage)),
  );
}
