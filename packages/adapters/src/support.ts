import { z } from 'zod';
import { IdSchema, InstantSchema } from '@rapport/schema';
import { GENERIC_SIGNATURE, providerAdapter, rule, type EventDraft } from './adapter.js';
import { ProviderIdSchema } from './wire.js';

/**
 * Support desk: Zendesk's event webhooks (`{ type: 'zen:event-type:ticket.…', id, time, detail:
 * <ticket>, event: <what changed> }`). The ticket is the thread; the requester is the customer.
 *
 * | Zendesk `type` (after `zen:event-type:`) | canonical type                | direction           |
 * | ---------------------------------------- | ----------------------------- | ------------------- |
 * | ticket.created                           | support.ticket_opened         | inbound, expects    |
 * | ticket.comment_added, public, by staff   | support.agent_replied         | outbound            |
 * | ticket.comment_added, public, by others  | support.customer_replied      | inbound, expects    |
 * | ticket.status_changed to solved          | support.ticket_resolved       | outbound, kept      |
 * | ticket.satisfaction_rated (see below)    | support.satisfaction_rated    | inbound, ±1         |
 *
 * Private comments are internal notes the customer never sees, so they are no interaction; other
 * status changes (pending, hold, closed after solved) produce nothing.
 *
 * Zendesk's event webhooks have no satisfaction event. Send one from a trigger ("Satisfaction
 * changed to Good/Bad") whose JSON body uses the same envelope with `type:
 * 'zen:event-type:ticket.satisfaction_rated'` and `event: { score: '{{satisfaction.current_rating}}' }`:
 * `good` or `bad` in any case (`offered` and `unoffered` produce nothing).
 */

const ticket = z.object({
  id: ProviderIdSchema,
  requester_id: ProviderIdSchema,
  via: z.object({ channel: z.string() }).optional(),
});

const envelope = z.object({ id: IdSchema, time: InstantSchema, detail: ticket });

const commentAdded = envelope.extend({
  event: z.object({
    comment: z.object({
      id: ProviderIdSchema,
      is_public: z.boolean(),
      author: z.object({ id: ProviderIdSchema, is_staff: z.boolean() }),
    }),
  }),
});

const statusChanged = envelope.extend({
  event: z.object({ current: z.string(), previous: z.string().optional() }),
});

const satisfactionRated = envelope.extend({
  event: z.object({
    score: z
      .string()
      .transform((score) => score.toLowerCase())
      .pipe(z.enum(['good', 'bad', 'offered', 'unoffered'])),
  }),
});

/** The thread, the customer and the time: the same for every ticket event. */
function onTicket({ id, time, detail }: z.infer<typeof envelope>) {
  return { eventId: id, customerId: detail.requester_id, occurredAt: time, threadId: detail.id };
}

function comment(event: z.infer<typeof commentAdded>): EventDraft | undefined {
  const { comment } = event.event;
  if (!comment.is_public) return undefined;
  const properties = { commentId: comment.id };
  if (comment.author.is_staff) {
    return {
      ...onTicket(event),
      type: 'support.agent_replied',
      direction: 'outbound',
      properties,
    };
  }
  return {
    ...onTicket(event),
    type: 'support.customer_replied',
    direction: 'inbound',
    expectsResponse: true,
    properties,
  };
}

export const supportAdapter = providerAdapter({
  channel: 'support',
  signature: GENERIC_SIGNATURE,
  kind: z.object({ type: z.string() }).transform(({ type }) => type),
  rules: {
    'zen:event-type:ticket.created': rule(envelope, (event) => ({
      ...onTicket(event),
      type: 'support.ticket_opened',
      direction: 'inbound',
      initiator: 'customer',
      expectsResponse: true,
      ...(event.detail.via && { properties: { via: event.detail.via.channel } }),
    })),
    'zen:event-type:ticket.comment_added': rule(commentAdded, comment),
    // Zendesk spells statuses `SOLVED` in events and `solved` in the API; either is a solution.
    'zen:event-type:ticket.status_changed': rule(statusChanged, (event) =>
      event.event.current.toLowerCase() === 'solved'
        ? {
            ...onTicket(event),
            type: 'support.ticket_resolved',
            direction: 'outbound',
            outcome: 'kept',
          }
        : undefined,
    ),
    'zen:event-type:ticket.satisfaction_rated': rule(satisfactionRated, (event) => {
      const { score } = event.event;
      if (score !== 'good' && score !== 'bad') return undefined;
      return {
        ...onTicket(event),
        type: 'support.satisfaction_rated',
        direction: 'inbound',
        initiator: 'customer',
        sentiment: score === 'good' ? 1 : -1,
        properties: { score },
      };
    }),
  },
});
