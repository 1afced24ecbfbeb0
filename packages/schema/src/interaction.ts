import { z } from 'zod';
import { instantMs, MAX_INSTANT_MS, MIN_INSTANT_MS } from './instant.js';

/** Largest `value` one event may carry: the range the model is tested on (docs/model.md §2). */
export const MAX_EVENT_VALUE = 1e12;

const SEGMENT = '[a-z0-9]+(?:[-_][a-z0-9]+)*';

/** What every id is, as clients send it and as the log holds it: bounded, one of Unicode's strings. */
function idRules(text: z.ZodString): z.ZodString {
  return text
    .min(1)
    .max(256)
    .regex(/^\P{Cs}*$/u, 'must be well-formed Unicode (no lone surrogates)')
    .regex(/^\P{Cc}*$/u, 'must not contain control characters');
}

/**
 * Identifiers end up in Kafka keys, Redis keys, Temporal workflow ids and log lines. They are
 * bounded, normalised to NFC (so that two spellings of `é` are one customer), well-formed Unicode
 * (a lone surrogate cannot round-trip through UTF-8: two ids would share one record), free of
 * control characters, and without `{` or `}`, which delimit Redis Cluster hash tags in keys.
 * Anything else (emails, UUIDs, CRM ids) is allowed.
 */
export const IdSchema = idRules(z.string().normalize('NFC')).regex(
  /^[^{}]*$/,
  'must not contain { or }',
);

/**
 * An id as events already on the log may carry it: the rule before ids were normalised and kept
 * free of braces. What reads the log (consumers, workflow inputs, the index behind list cursors)
 * reads ids with it, so that no event accepted under the old rule becomes unreadable (a poison
 * record) after an upgrade; everything a client sends is held to IdSchema. A lone surrogate is
 * refused here too: no consumer can use such an id (Temporal's gRPC refuses it, and Redis would
 * store it as another id's bytes), so an event carrying one is dead-lettered, not retried forever.
 */
export const LoggedIdSchema = idRules(z.string());

/** Open set: a lowercase slug such as `email`, `support` or `in_app`. */
export const ChannelSchema = z
  .string()
  .max(64)
  .regex(new RegExp(`^${SEGMENT}$`), 'expected a lowercase slug such as "email" or "in_app"');

/** Dotted lowercase with at least two parts, such as `email.replied` or `support.ticket_opened`. */
export const EventTypeSchema = z
  .string()
  .max(128)
  .regex(
    new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})+$`),
    'expected dotted lowercase such as "email.replied"',
  );

/** Who stamped the event onto the log, such as `http`, `segment`, `csv` or `engine`. */
/**
 * The header a client of the gateway's `POST /v1/interactions` names itself with (e.g. `csv`);
 * its events are then stamped `source: http:<name>`.
 */
export const SOURCE_HEADER = 'x-rapport-source';

export const SourceSchema = z
  .string()
  .max(64)
  .regex(new RegExp(`^${SEGMENT}(?::${SEGMENT})*$`), 'expected a lowercase slug such as "http"');

/** RFC 3339 with an offset (a bare local time is ambiguous), between 1970 and 2100 inclusive. */
export const InstantSchema = z.iso.datetime({ offset: true, abort: true }).refine(
  (text) => {
    const ms = instantMs(text);
    return ms >= MIN_INSTANT_MS && ms < MAX_INSTANT_MS;
  },
  { message: 'expected an instant from 1970 to 2100' },
);

/** `inbound` = customer → business, `outbound` = business → customer. */
export const DirectionSchema = z.enum(['inbound', 'outbound']);
export const InitiatorSchema = z.enum(['customer', 'business']);
/** Promise evidence: the business kept or broke what it promised. */
export const OutcomeSchema = z.enum(['kept', 'broken']);
/** The rhetorical appeal of an outbound message: credibility, emotion, or reason. */
export const AppealSchema = z.enum(['ethos', 'pathos', 'logos']);

/** The namespaces of the event types the engine derives: no client may send one of them. */
export const RESERVED_TYPE_PREFIXES = ['sla.', 'engagement.', 'followup.'] as const;

/**
 * Single types only Rapport itself writes: an identity link (identity.ts) comes from the
 * gateway's link routes, which decide the survivor; one sent as an event would bypass that.
 */
export const RESERVED_TYPES = ['profile.merged'] as const;

export const isReservedType = (type: string): boolean =>
  RESERVED_TYPE_PREFIXES.some((prefix) => type.startsWith(prefix)) ||
  (RESERVED_TYPES as readonly string[]).includes(type);

/** An event type a client may send: the engine's own verdicts would move trust by hand. */
export const ClientEventTypeSchema = EventTypeSchema.refine((type) => !isReservedType(type), {
  message: `${[...RESERVED_TYPE_PREFIXES.map((prefix) => `${prefix}*`), ...RESERVED_TYPES].join(', ')} are written by Rapport itself and cannot be sent`,
});

const interactionShape = {
  /** Idempotency key: consumers apply each eventId once. */
  eventId: IdSchema,
  customerId: IdSchema,
  channel: ChannelSchema,
  type: EventTypeSchema,
  direction: DirectionSchema,
  occurredAt: InstantSchema,
  initiator: InitiatorSchema.optional(),
  /** Value points, overriding the catalog weight for this one event. */
  value: z.number().min(0).max(MAX_EVENT_VALUE).optional(),
  sentiment: z.number().min(-1).max(1).optional(),
  threadId: IdSchema.optional(),
  /** A request the business must answer; the engine times it against the thread's SLA. */
  expectsResponse: z.boolean().optional(),
  outcome: OutcomeSchema.optional(),
  appeal: AppealSchema.optional(),
  properties: z.record(z.string(), z.json()).optional(),
};

/**
 * The canonical interaction event as producers send it. Strict, so that a misspelt field
 * (`occured_at`) comes back to the producer as an issue instead of silently vanishing; anything
 * free-form belongs in `properties`.
 */
export const InteractionSchema = z.strictObject({
  ...interactionShape,
  type: ClientEventTypeSchema,
});
export type Interaction = z.infer<typeof InteractionSchema>;

/**
 * The event as it sits on `rapport.interactions.v1`: stamped by the gateway (or by the engine for
 * derived events). Unknown fields are dropped rather than refused, so consumers deployed before a
 * producer learned a new optional field keep working during a rolling upgrade.
 */
export const StampedInteractionSchema = z.object({
  ...interactionShape,
  eventId: LoggedIdSchema,
  customerId: LoggedIdSchema,
  threadId: LoggedIdSchema.optional(),
  receivedAt: InstantSchema,
  source: SourceSchema,
});
export type StampedInteraction = z.infer<typeof StampedInteractionSchema>;

/** The source the engine stamps on the events it derives and publishes back to the log. */
export const ENGINE_SOURCE = 'engine';

/**
 * Event types the engine derives (SLA verdicts, drop detection, follow-up bookkeeping), all in
 * the reserved namespaces. They ride the same topic so that every fold sees the same log; the
 * model's catalog gives each a weight.
 */
export const DERIVED_EVENT_TYPES = [
  'sla.met',
  'sla.missed',
  'engagement.drop_detected',
  'followup.started',
  'followup.finished',
] as const;
export type DerivedEventType = (typeof DERIVED_EVENT_TYPES)[number];
