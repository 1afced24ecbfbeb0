import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import {
  compact,
  GENERIC_SIGNATURE,
  providerAdapter,
  rule,
  type EventDraft,
  type JsonValue,
} from './adapter.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * Email: SendGrid's Event Webhook (a JSON array of events), plus inbound replies.
 *
 * | SendGrid `event`                    | canonical type        | direction | notes                       |
 * | ----------------------------------- | --------------------- | --------- | --------------------------- |
 * | delivered                           | email.delivered       | outbound  |                             |
 * | open                                | email.opened          | inbound   | participation, not a reply  |
 * | click                               | email.clicked         | inbound   |                             |
 * | bounce, dropped                     | email.bounced         | outbound  | value 0, `bounceType`       |
 * | unsubscribe, group_unsubscribe      | email.unsubscribed    | inbound   | sentiment −0.5, value 0     |
 * | spamreport                          | email.spam_reported   | inbound   | sentiment −1, value 0       |
 * | inbound_reply (ours, see below)     | email.replied         | inbound   | expectsResponse, threadId   |
 *
 * `processed` and `deferred` produce nothing: `delivered` already records that the business
 * reached the customer, and counting the send too would double its weight. The customer is the
 * `customer_id` (or `userId`) custom arg when the sender set one, else the lower-cased address.
 *
 * Inbound replies: SendGrid's Inbound Parse posts multipart form data, which is not an event and
 * has no event id. We accept a JSON object (alone or inside the array) that a relay builds from it:
 * `{ event: 'inbound_reply', email, timestamp, message_id, in_reply_to?, thread_id?, customer_id? }`.
 * The reply's Message-ID is its idempotency key (a redelivered email keeps it); the thread is
 * `thread_id`, else the message it answers, else the reply itself.
 *
 * Free text (subjects, bodies, bounce reasons) stays out of `properties`: it is personal data the
 * engagement model has no use for.
 */

const sender = z.object({
  email: IdSchema,
  timestamp: UnixSecondsSchema,
  customer_id: IdSchema.optional(),
  userId: IdSchema.optional(),
});

const sendGridEvent = sender.extend({
  sg_event_id: IdSchema,
  sg_message_id: IdSchema.optional(),
  category: z.union([z.string(), z.array(z.string())]).optional(),
});

const opened = sendGridEvent.extend({ sg_machine_open: z.boolean().optional() });
const bounced = sendGridEvent.extend({
  type: z.string().optional(),
  status: z.string().optional(),
});
const unsubscribed = sendGridEvent.extend({ asm_group_id: z.number().int().optional() });

const inboundReply = sender.extend({
  message_id: IdSchema,
  in_reply_to: IdSchema.optional(),
  thread_id: IdSchema.optional(),
});

type Sender = z.infer<typeof sender>;
type SendGridEvent = z.infer<typeof sendGridEvent>;

function customerOf(event: Sender): string {
  return event.customer_id ?? event.userId ?? event.email.trim().toLowerCase();
}

/** The fields every SendGrid event maps the same way; `category` tells campaigns apart. */
function tracked(event: SendGridEvent, extra: Record<string, JsonValue | undefined> = {}) {
  return {
    eventId: event.sg_event_id,
    customerId: customerOf(event),
    occurredAt: event.timestamp,
    properties: compact({ messageId: event.sg_message_id, category: event.category, ...extra }),
  };
}

/**
 * Bounces, unsubscribes and spam reports are evidence, not value exchanged: value 0 keeps them out
 * of the ledger even under a catalog that does not know their type.
 */
function unsubscribe(event: z.infer<typeof unsubscribed>): EventDraft {
  return {
    ...tracked(event, { groupId: event.asm_group_id }),
    type: 'email.unsubscribed',
    direction: 'inbound',
    initiator: 'customer',
    sentiment: -0.5,
    value: 0,
  };
}

function bounce(event: z.infer<typeof bounced>, kind: string): EventDraft {
  return {
    ...tracked(event, { bounceType: kind, status: event.status }),
    type: 'email.bounced',
    direction: 'outbound',
    initiator: 'business',
    value: 0,
  };
}

export const emailAdapter = providerAdapter({
  channel: 'email',
  signature: GENERIC_SIGNATURE,
  kind: z.object({ event: z.string() }).transform(({ event }) => event),
  rules: {
    delivered: rule(sendGridEvent, (event) => ({
      ...tracked(event),
      type: 'email.delivered',
      direction: 'outbound',
      initiator: 'business',
    })),
    // Apple Mail Privacy Protection opens every message on download; kept, but marked.
    open: rule(opened, (event) => ({
      ...tracked(event, { machineOpen: event.sg_machine_open }),
      type: 'email.opened',
      direction: 'inbound',
      initiator: 'business',
    })),
    click: rule(sendGridEvent, (event) => ({
      ...tracked(event),
      type: 'email.clicked',
      direction: 'inbound',
      initiator: 'business',
    })),
    bounce: rule(bounced, (event) => bounce(event, event.type ?? 'bounce')),
    dropped: rule(bounced, (event) => bounce(event, 'dropped')),
    unsubscribe: rule(unsubscribed, unsubscribe),
    group_unsubscribe: rule(unsubscribed, unsubscribe),
    spamreport: rule(sendGridEvent, (event) => ({
      ...tracked(event),
      type: 'email.spam_reported',
      direction: 'inbound',
      initiator: 'customer',
      sentiment: -1,
      value: 0,
    })),
    inbound_reply: rule(inboundReply, (reply) => ({
      eventId: reply.message_id,
      customerId: customerOf(reply),
      occurredAt: reply.timestamp,
      type: 'email.replied',
      direction: 'inbound',
      threadId: reply.thread_id ?? reply.in_reply_to ?? reply.message_id,
      expectsResponse: true,
    })),
  },
});
