import { z } from 'zod';

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
 * The query API's admin route `POST /v1/customers/:id/follow-ups` (`rapport followup start`): a
 * person asks the customer's workflow for a follow-up now. The API validates the body with this
 * and the CLI checks `--playbook` with it; the workflow's signal takes the same shape.
 */
export const FollowUpBodySchema = z.strictObject({
  playbook: z
    .string()
    .max(128)
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'expected a playbook name such as "win-back"')
    .optional()
    .describe(
      "the playbook to run; when left out, the first whose triggers include `manual` for the customer's stage",
    ),
});
export type FollowUpBody = z.infer<typeof FollowUpBodySchema>;

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
