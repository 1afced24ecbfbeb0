import { z } from 'zod';
import { IdSchema } from './interaction.js';

/**
 * What Rapport's HTTP services answer (and the few bodies they take that clients build): the
 * services write and document them with these schemas, and clients (the `rapport` command) read
 * them with the same ones.
 */

/** One thing wrong with a request: where (dotted path, `''` for the whole) and what. */
const HttpIssueSchema = z.strictObject({ path: z.string(), message: z.string() });

/**
 * The body of every answer that is not a success, whichever service gives it; the OpenAPI
 * documents describe it with this schema and `ApiError` (@rapport/lifecycle) writes it.
 */
export const ErrorSchema = z.strictObject({
  error: z.strictObject({
    code: z
      .string()
      .describe('stable and machine-readable: `VALIDATION_FAILED`, `RATE_LIMITED`, …'),
    message: z.string().describe('for people: what went wrong and what to do'),
    issues: z
      .array(HttpIssueSchema)
      .describe('every failing input by dotted path (`batch.3.occurredAt`); often empty'),
  }),
});
export type ErrorBody = z.infer<typeof ErrorSchema>;

const ingested = {
  accepted: z.number().int().min(0).describe('events published and acknowledged by Kafka'),
  duplicates: z.number().int().min(0).describe('events already accepted within the dedup window'),
};

/** The gateway's answer to `POST /v1/interactions`, once Kafka acknowledged. */
export const IngestResultSchema = z.strictObject(ingested);
export type IngestResult = z.infer<typeof IngestResultSchema>;

/** Segment's API answers `{ success: true }`; the counts are Rapport's addition. */
export const SegmentResultSchema = z.strictObject({ success: z.literal(true), ...ingested });
export type SegmentResult = z.infer<typeof SegmentResultSchema>;

/** `POST /v1/identities`: two ids of one person, `from` merged into `into` (docs/identity.md). */
export const IdentityLinkBodySchema = z.strictObject({
  from: IdSchema.describe('the id merged away: from now on it points at the survivor'),
  into: IdSchema.describe('the id that survives (or, if it was merged itself, its survivor)'),
});
export type IdentityLinkBody = z.infer<typeof IdentityLinkBodySchema>;

/** The gateway's answer once the link is on the log. */
export const IdentityLinkResultSchema = z.strictObject({
  survivor: z.string().describe('the id both are known by from now on'),
  merged: z
    .boolean()
    .describe('false when they were one person already (the same link again, or its reverse)'),
});
export type IdentityLinkResult = z.infer<typeof IdentityLinkResultSchema>;

const count = z.number().int().min(0);

/** `DELETE /v1/customers/:id`: what erasing a person removed, where (docs/identity.md). */
export const ErasureReceiptSchema = z.strictObject({
  customerId: z.string().describe('the id asked for'),
  erased: z
    .array(z.string())
    .describe('every id of the person: the survivor first, then the ids merged into it'),
  suppressed: count.describe(
    'ids added to the suppression list (as keyed hashes): their events are refused and skipped from now on',
  ),
  redis: z.strictObject({
    keys: count.describe('keys removed: records and their data (every generation), dedup ids'),
    indexEntries: count.describe('index entries removed, every generation'),
    changes: count.describe('entries removed from the change stream'),
  }),
  temporal: z.strictObject({
    terminated: count.describe('workflow runs that were running, terminated'),
    deleted: count.describe('workflow runs deleted with their histories'),
  }),
  deadLetters: z
    .string()
    .describe('what happens to their dead letters: skipped by every reader, kept until retention'),
  log: z.string().describe('what remains of them in the interaction log, and until when'),
});
export type ErasureReceipt = z.infer<typeof ErasureReceiptSchema>;

/** A provider webhook's answer: 202 whether its payload was ingested or dead-lettered. */
export const ChannelResultSchema = z.strictObject({
  ...ingested,
  deadLettered: z
    .number()
    .int()
    .min(0)
    .max(1)
    .describe('1 when the payload could not be mapped and went to the dead-letter topic'),
});
export type ChannelResult = z.infer<typeof ChannelResultSchema>;

/**
 * Its answer (202): the request reached the customer's workflow, which decides. It starts the
 * playbook unless a follow-up is running (`running`) or no playbook has that name
 * (`no_playbook`); the decision shows in the workflow's drops (`rapport workflow <id>`).
 */
export const FollowUpRequestedSchema = z.strictObject({
  customerId: z.string(),
  playbook: z
    .string()
    .nullable()
    .describe("the playbook asked for; null: the first for `manual` and the customer's stage"),
  requested: z.literal(true),
});
export type FollowUpRequested = z.infer<typeof FollowUpRequestedSchema>;
