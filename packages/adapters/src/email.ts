import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { compact, GENERIC_SIGNATURE, providerAdapter, rule, type JsonValue } from './adapter.js';
import { customerOf, emailEvent } from './email-events.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * Email: SendGrid's Event Webhook (a JSON array of events), plus inbound replies. Every kind
 * SendGrid documents that says something about the customer becomes one of the canonical email
 * events (email-events.ts):
 *
 * | SendGrid `event`                    | canonical type        | direction | notes                       |
 * | ----------------------------------- | --------------------- | --------- | --------------------------- |
 * | delivered                           | email.delivered       | outbound  |                             |
 * | open                                | email.opened          | inbound   | participation, not a reply  |
 * | click                               | email.clicked         | inbound   |                             |
 * | bounce, dropped                     | email.bounced         | outbound  | value 0, `bounceType`       |
 * | unsubscribe, group_unsubscribe      | email.unsubscribed    | inbound   | sentiment −0.5, value 0     |
 * | group_resubscribe                   | email.resubscribed    | inbound   | sentiment +0.5, value 0     |
 * | spamreport                          | email.spam_reported   | inbound   | sentiment −1, value 0       |
 * | inbound_reply (ours, see below)     | email.replied         | inbound   | expectsResponse, threadId   |
 *
 * `processed` and `deferred` produce nothing: `delivered` already records that the business
 * reached the customer, and counting the send too would double its weight; a deferral is
 * SendGrid still trying (a final failure arrives as `bounce` or `dropped`). The customer is the
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

type SendGridEvent = z.infer<typeof sendGridEvent>;

/** The fields every SendGrid event maps the same way; `category` tells campaigns apart. */
function tracked(event: SendGridEvent, extra: Record<string, JsonValue | undefined> = {}) {
  return {
    eventId: event.sg_event_id,
    customerId: customerOf(event.email, event),
    occurredAt: event.timestamp,
    properties: compact({ messageId: event.sg_message_id, category: event.category, ...extra }),
  };
}

const unsubscribe = (event: z.infer<typeof unsubscribed>) =>
  emailEvent.unsubscribed(tracked(event, { groupId: event.asm_group_id }));

/** SendGrid's `type` tells a bounce (for good) from a block (refused by the server, for now). */
const bounce = (event: z.infer<typeof bounced>, kind: string) =>
  emailEvent.bounced(tracked(event, { bounceType: kind, status: event.status }));

export const emailAdapter = providerAdapter({
  channel: 'email',
  signature: GENERIC_SIGNATURE,
  kind: z.object({ event: z.string() }).transform(({ event }) => event),
  rules: {
    delivered: rule(sendGridEvent, (event) => emailEvent.delivered(tracked(event))),
    // Apple Mail Privacy Protection opens every message on download; kept, but marked.
    open: rule(opened, (event) =>
      emailEvent.opened(tracked(event, { machineOpen: event.sg_machine_open })),
    ),
    click: rule(sendGridEvent, (event) => emailEvent.clicked(tracked(event))),
    bounce: rule(bounced, (event) => bounce(event, event.type ?? 'bounce')),
    dropped: rule(bounced, (event) => bounce(event, 'dropped')),
    unsubscribe: rule(unsubscribed, unsubscribe),
    group_unsubscribe: rule(unsubscribed, unsubscribe),
    group_resubscribe: rule(unsubscribed, (event) =>
      emailEvent.resubscribed(tracked(event, { groupId: event.asm_group_id })),
    ),
    spamreport: rule(sendGridEvent, (event) => emailEvent.spamReported(tracked(event))),
    inbound_reply: rule(inboundReply, (reply) =>
      emailEvent.replied({
        eventId: reply.message_id,
        customerId: customerOf(reply.email, reply),
        occurredAt: reply.timestamp,
        threadId: reply.thread_id ?? reply.in_reply_to ?? reply.message_id,
      }),
    ),
  },
});
