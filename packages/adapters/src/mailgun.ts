import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { compact, providerAdapter, rule, type JsonValue } from './adapter.js';
import {
  addressIn,
  conversationOf,
  customerOf,
  emailEvent,
  isAutomatic,
  MessageIdSchema,
  SenderTagsSchema,
  type MessageFacts,
  type SenderTags,
} from './email-events.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * Email through Mailgun: its webhooks (`{ signature, "event-data" }`, one event per request,
 * https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-payloads) and the
 * messages a route forwards (`forward("https://…")`: the parsed message's form fields).
 *
 * | Mailgun                                 | canonical type        | direction | notes                     |
 * | --------------------------------------- | --------------------- | --------- | ------------------------- |
 * | delivered                               | email.delivered       | outbound  |                           |
 * | opened                                  | email.opened          | inbound   | `machineOpen` for bots    |
 * | clicked                                 | email.clicked         | inbound   | `machineClick` for bots   |
 * | failed, severity permanent              | email.bounced         | outbound  | value 0, `bounceType`     |
 * | unsubscribed                            | email.unsubscribed    | inbound   | sentiment −0.5, value 0   |
 * | complained                              | email.spam_reported   | inbound   | sentiment −1, value 0     |
 * | a route's forwarded message             | email.replied         | inbound   | expectsResponse, thread   |
 *
 * `accepted`, `rejected` and `stored` produce nothing (Mailgun's side of sending: `delivered`
 * records that the business reached the customer). A temporary failure is Mailgun still trying;
 * it ends as `delivered` or as a permanent failure (reason `old` once it gives up), so it
 * produces nothing, like SendGrid's `deferred`. A permanent failure for a suppressed address
 * (reason `suppress-bounce`, `suppress-unsubscribe`, `suppress-complaint`) is a bounce too, like
 * SendGrid's `dropped`: the message did not reach the customer.
 *
 * The event id is Mailgun's (`event-data.id`, unique within a day: within the gateway's window).
 * The customer is the `customer_id` (or `userId`) user variable when the sender set one, else
 * the lower-cased recipient. The thread is the `thread_id` user variable, else the message's
 * Message-ID, which is what a reply's `In-Reply-To` names. Mailgun's `tags` become `category`,
 * as SendGrid's categories do.
 *
 * A forwarded message is the customer writing: its Message-ID is its idempotency key (a
 * redelivered email keeps it; a route has no event id), the customer is the address in `From`,
 * the time is Mailgun's `timestamp`, and the thread is its conversation (email-events.ts).
 * Auto-replies (`Auto-Submitted`) and what Mailgun flagged as spam (`X-Mailgun-Sflag: Yes`)
 * produce nothing: they expect no answer.
 */

/** Mailgun writes an empty `user-variables` as `[]`. */
const userVariables = z.union([SenderTagsSchema, z.tuple([]).transform((): SenderTags => ({}))]);

const eventData = z.object({
  id: IdSchema,
  timestamp: UnixSecondsSchema,
  recipient: IdSchema,
  tags: z.array(z.string()).optional(),
  'user-variables': userVariables.optional(),
  message: z.object({ headers: z.object({ 'message-id': MessageIdSchema.optional() }) }).optional(),
});

/** Mailgun's bot detection (`apple`, `gmail`, `generic`; empty when a person opened it). */
const tracked = eventData.extend({
  'client-info': z.object({ bot: z.string().optional() }).optional(),
});

const failed = eventData.extend({
  severity: z.enum(['permanent', 'temporary']),
  reason: z.string().optional(),
  'delivery-status': z
    .object({ code: z.number().optional(), 'enhanced-code': z.string().optional() })
    .optional(),
});

function webhook<T extends z.ZodType>(data: T) {
  return z.object({ 'event-data': data });
}

type EventData = z.infer<typeof eventData>;

function factsOf(
  event: EventData,
  extra: Record<string, JsonValue | undefined> = {},
): MessageFacts {
  const tags = event['user-variables'] ?? {};
  const messageId = event.message?.headers['message-id'];
  return {
    eventId: event.id,
    customerId: customerOf(event.recipient, tags),
    occurredAt: event.timestamp,
    threadId: tags.thread_id ?? messageId,
    // Mailgun sends `tags: []` for a message without any; an empty list says nothing.
    properties: compact({
      messageId,
      category: event.tags?.length ? event.tags : undefined,
      ...extra,
    }),
  };
}

const isBot = (event: z.infer<typeof tracked>) =>
  event['client-info']?.bot === undefined ? undefined : event['client-info'].bot !== '';

const HeaderListSchema = z.array(z.tuple([z.string(), z.string()]));

/** A header's value in a list of `[name, value]` (names are case-insensitive). */
function headerIn(headers: readonly (readonly [string, string])[], name: string) {
  return headers.find(([key]) => key.toLowerCase() === name)?.[1];
}

/**
 * A route's form fields as the gateway parsed them (every value a string). `message-headers` is
 * every MIME header as a JSON list of `[name, value]`, in order; the ones that thread the message
 * or tell an automatic one are read from it.
 */
const routed = z.object({
  timestamp: z
    .string()
    .regex(/^\d+$/, 'expected unix seconds')
    .transform(Number)
    .pipe(UnixSecondsSchema),
  from: z.string(),
  'message-headers': z.string().transform((text, context) => {
    const headers = HeaderListSchema.safeParse(parsedJson(text));
    if (!headers.success) {
      context.addIssue({ code: 'custom', message: 'expected a JSON list of [name, value]' });
      return z.NEVER;
    }
    const messageId = MessageIdSchema.safeParse(headerIn(headers.data, 'message-id') ?? '');
    if (!messageId.success) {
      context.addIssue({ code: 'custom', message: 'expected a Message-Id header' });
      return z.NEVER;
    }
    return {
      messageId: messageId.data,
      inReplyTo: headerIn(headers.data, 'in-reply-to'),
      references: headerIn(headers.data, 'references'),
      automatic:
        isAutomatic(headerIn(headers.data, 'auto-submitted')) ||
        headerIn(headers.data, 'x-mailgun-sflag')?.trim().toLowerCase() === 'yes',
    };
  }),
});

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const replied = rule(routed, ({ from, timestamp, 'message-headers': headers }) => {
  if (headers.automatic) return undefined;
  return emailEvent.replied({
    eventId: headers.messageId,
    customerId: customerOf(addressIn(from)),
    occurredAt: timestamp,
    threadId: conversationOf(headers),
  });
});

/** The kind: `event-data.event` for a webhook, `route` for a message a route forwarded. */
const kind = z
  .object({
    'event-data': z.object({ event: z.string() }).optional(),
    'message-headers': z.string().optional(),
  })
  .transform((body, context) => {
    if (body['event-data'] !== undefined) return body['event-data'].event;
    if (body['message-headers'] !== undefined) return 'route';
    context.addIssue({
      code: 'custom',
      path: ['event-data'],
      message: "expected Mailgun's event-data, or a route's message-headers",
    });
    return z.NEVER;
  });

export const mailgunAdapter = providerAdapter({
  channel: 'email',
  kind,
  rules: {
    delivered: rule(webhook(eventData), (body) =>
      emailEvent.delivered(factsOf(body['event-data'])),
    ),
    opened: rule(webhook(tracked), ({ 'event-data': event }) =>
      emailEvent.opened(factsOf(event, { machineOpen: isBot(event) })),
    ),
    clicked: rule(webhook(tracked), ({ 'event-data': event }) =>
      emailEvent.clicked(factsOf(event, { machineClick: isBot(event) })),
    ),
    failed: rule(webhook(failed), ({ 'event-data': event }) => {
      if (event.severity === 'temporary') return undefined;
      const status = event['delivery-status'];
      return emailEvent.bounced(
        factsOf(event, {
          bounceType: event.reason ?? 'bounce',
          status: status?.['enhanced-code'] ?? status?.code?.toString(),
        }),
      );
    }),
    unsubscribed: rule(webhook(eventData), (body) =>
      emailEvent.unsubscribed(factsOf(body['event-data'])),
    ),
    complained: rule(webhook(eventData), (body) =>
      emailEvent.spamReported(factsOf(body['event-data'])),
    ),
    route: replied,
  },
});
