import { StatusSchema } from '@rapport/model';
import { IdSchema, InstantSchema } from '@rapport/schema';
import { z } from 'zod';
import { MAX_POSITION_LENGTH, POSITION } from './stream-position.js';

/**
 * What the customer, summary and stream routes accept in their paths and query strings: the routes parse
 * with these, and the OpenAPI document is generated from them. Strict, so an unknown parameter
 * is a 400 naming it rather than silently ignored. (The list's are in list.ts.)
 */
export const CustomerParamsSchema = z.object({ id: IdSchema });

export const ReadQuerySchema = z.strictObject({
  /** Read at this instant instead of now (decay applied up to it; never before the last event). */
  at: InstantSchema.optional(),
});

export const HistoryQuerySchema = z.strictObject({});

export const WorkflowQuerySchema = z.strictObject({});

/** `POST /v1/customers/:id/follow-ups` takes its input in its body (FollowUpBodySchema). */
export const FollowUpQuerySchema = z.strictObject({});

export const TimelineQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1_000).optional(),
});

export const StreamQuerySchema = z.strictObject({
  /** Only this customer's changes. */
  customer: IdSchema.optional(),
  /** Only changes that leave a customer in this status. */
  status: StatusSchema.optional(),
  /** For clients that cannot send the Last-Event-ID header on their first connection. */
  lastEventId: z.string().max(MAX_POSITION_LENGTH).regex(POSITION).optional(),
});
