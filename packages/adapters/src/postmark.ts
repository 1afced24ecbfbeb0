import { z } from 'zod';
import { IdSchema, InstantSchema, instantMs } from '@rapport/schema';
import {
  compact,
  providerAdapter,
  rule,
  type AdapterResult,
  type ChannelAdapter,
  type EventDraft,
  type JsonValue,
} from './adapter.js';
import {
  conversationOf,
  customerOf,
  emailEvent,
  isAutomatic,
  MailDateSchema,
  MessageIdSchema,
  SenderTagsSchema,
  type MessageFacts,
} from './email-events.js';

/**
 * Email through Postmark: its webhooks (one JSON object per request, told apart by
 * `RecordType`, https://postmarkapp.com/developer/webhooks/webhooks-overview) and its inbound
 * messages (the inbound stream's webhook, which has no `RecordType`).
 *
 * | Postmark                                   | canonical type        | direction | notes                   |
 * | ------------------------------------------ | --------------------- | --------- | ----------------------- |
 * | Delivery                                   | email.delivered       | outbound  |                         |
 * | Open                                       | email.opened          | inbound   | `firstOpen`             |
 * | Click                                      | email.clicked         | inbound   |                         |
 * | Bounce, a failure type (below)             | email.bounced         | outbound  | value 0, `bounceType`   |
 * | Bounce `Unsubscribe`                       | email.unsubscribed    | inbound   | sentiment −0.5, value 0 |
 * | Bounce `Subscribe`                         | email.resubscribed    | inbound   | sentiment +0.5, value 0 |
 * | SpamComplaint (or Bounce `SpamComplaint`)  | email.spam_reported   | inbound   | sentiment −1, value 0   |
 * | SubscriptionChange, the recipient opted out | email.unsubscribed   | inbound   | sentiment −0.5, value 0 |
 * | SubscriptionChange, the recipient opted in | email.resubscribed    | inbound   | sentiment +0.5, value 0 |
 * | an inbound message                         | email.replied         | inbound   | expectsResponse, thread |
 *
 * Bounce types that mean the message did not reach the customer (`HardBounce`, `SoftBounce`,
 * `BadEmailAddress`, `DnsError`, `Blocked`, `SpamNotification`, `DMARCPolicy`,
 * `ManuallyDeactivated`, `Unknown`) are bounces. The others produce nothing: `Transient` is
 * Postmark still trying; `AutoResponder`, `AddressChange` and `ChallengeVerification` are
 * automatic answers, not failures; the rest (`OpenRelayTest`, `VirusNotification`,
 * `SMTPApiError`, `TemplateRenderingFailed`, `InboundError`, `Unconfirmed`) are about the
 * sender's setup, not the customer.
 *
 * A SubscriptionChange counts only when the recipient made it (`Origin: Recipient`): a
 * `ManualSuppression` is their unsubscribe, a reactivation their opt-in. Suppressions for a hard
 * bounce or a spam complaint produce nothing: the Bounce and SpamComplaint webhooks report
 * those, and the business's own suppressions (`Customer`, `Admin`) are not the customer's act.
 *
 * Postmark's events carry no event id of their own (a bounce's numeric `ID` is an int64, which
 * JSON numbers in JavaScript do not hold exactly), so the id is what identifies the event in the
 * payload, the same on every retry: `<kind>:<MessageID>:<recipient>`, with the time added for
 * what can happen more than once (see `factsOf`). An inbound message's id is Postmark's
 * `MessageID`.
 *
 * The customer is the `customer_id` (or `userId`) metadata when the sender set one, else the
 * lower-cased recipient. The thread is the `thread_id` metadata, else Postmark's MessageID. For
 * an inbound message, the thread is its `MailboxHash` (the `+hash` of the address it was sent to,
 * Postmark's way of tying replies to a conversation: send with `Reply-To: inbound+<thread
 * id>@…` and `Metadata.thread_id`), else its conversation (email-events.ts). Its time is its
 * `Date` header, written by the sender's clock, so never later than when it was received.
 * Auto-replies (`Auto-Submitted`) and what Postmark's spam check flagged (`X-Spam-Status: Yes`)
 * produce nothing. `Tag` becomes `category`, as SendGrid's categories do.
 */

/** Postmark writes `"Metadata": {}` or leaves it out; `null` appears on reactivations. */
const metadata = SenderTagsSchema.nullish().transform((tags) => tags ?? {});

const message = z.object({
  MessageID: IdSchema,
  Recipient: IdSchema,
  Tag: z.string().nullish(),
  Metadata: metadata,
});

const delivery = message.extend({ DeliveredAt: InstantSchema });
const opened = message.extend({ ReceivedAt: InstantSchema, FirstOpen: z.boolean().optional() });
const clicked = message.extend({ ReceivedAt: InstantSchema });

const bounce = z.object({
  MessageID: IdSchema,
  Email: IdSchema,
  Type: z.string(),
  BouncedAt: InstantSchema,
  Inactive: z.boolean().optional(),
  Tag: z.string().nullish(),
  Metadata: metadata,
});

const subscriptionChange = z.object({
  MessageID: IdSchema.nullish(),
  Recipient: IdSchema,
  ChangedAt: InstantSchema,
  Origin: z.string(),
  SuppressSending: z.boolean(),
  SuppressionReason: z.string().nullish(),
  Tag: z.string().nullish(),
  Metadata: metadata,
});

const header = z.object({ Name: z.string(), Value: z.string() });
const inbound = z.object({
  MessageID: IdSchema,
  FromFull: z.object({ Email: IdSchema }),
  Date: MailDateSchema,
  MailboxHash: z.string().optional(),
  Headers: z.array(header).optional(),
});

/** What an event says about a message the business sent, in Postmark's words. */
interface Sent {
  /** The event's kind in its id. */
  readonly kind: string;
  readonly messageId: string | null | undefined;
  readonly recipient: string;
  readonly occurredAt: string;
  readonly tag: string | null | undefined;
  readonly tags: z.infer<typeof metadata>;
  /** Part of the id when the kind can happen more than once per message and recipient. */
  readonly repeatable?: boolean;
}

/**
 * The facts every event about a sent message shares. Its id names the message and the recipient
 * (a message can go to several): a delivery, a bounce, an unsubscribe or a complaint happens
 * once per message and recipient, so a second report of it (Postmark can report a complaint as
 * a SpamComplaint and as a Bounce) is the same event; opens and clicks repeat, so theirs add the
 * time, as does a change no message caused.
 */
function factsOf(sent: Sent, extra: Record<string, JsonValue | undefined> = {}): MessageFacts {
  const messageId = sent.messageId ?? undefined;
  const address = sent.recipient.trim().toLowerCase();
  const at = sent.repeatable === true || messageId === undefined ? sent.occurredAt : undefined;
  return {
    eventId: [sent.kind, messageId, address, at].filter((part) => part !== undefined).join(':'),
    customerId: customerOf(sent.recipient, sent.tags),
    occurredAt: sent.occurredAt,
    threadId: sent.tags.thread_id ?? messageId,
    properties: compact({ messageId, category: sent.tag || undefined, ...extra }),
  };
}

type Message = z.infer<typeof message>;
type Bounce = z.infer<typeof bounce>;

const sentMessage = (event: Message, kind: string, occurredAt: string, repeatable = false) => ({
  kind,
  messageId: event.MessageID,
  recipient: event.Recipient,
  occurredAt,
  tag: event.Tag,
  tags: event.Metadata,
  repeatable,
});

const bouncedMessage = (event: Bounce, kind: string) => ({
  kind,
  messageId: event.MessageID,
  recipient: event.Email,
  occurredAt: event.BouncedAt,
  tag: event.Tag,
  tags: event.Metadata,
});

const FAILURES = new Set([
  'HardBounce',
  'SoftBounce',
  'BadEmailAddress',
  'DnsError',
  'Blocked',
  'SpamNotification',
  'DMARCPolicy',
  'ManuallyDeactivated',
  'Unknown',
]);

function bounced(event: Bounce): EventDraft | undefined {
  switch (event.Type) {
    case 'SpamComplaint':
      return emailEvent.spamReported(factsOf(bouncedMessage(event, 'spamcomplaint')));
    case 'Unsubscribe':
      return emailEvent.unsubscribed(factsOf(bouncedMessage(event, 'unsubscribe')));
    case 'Subscribe':
      return emailEvent.resubscribed(factsOf(bouncedMessage(event, 'subscribe')));
    default:
      if (!FAILURES.has(event.Type)) return undefined;
      return emailEvent.bounced(
        factsOf(bouncedMessage(event, 'bounce'), {
          bounceType: event.Type,
          inactive: event.Inactive,
        }),
      );
  }
}

function subscription(event: z.infer<typeof subscriptionChange>): EventDraft | undefined {
  if (event.Origin !== 'Recipient') return undefined;
  const facts = (kind: string) =>
    factsOf({
      kind,
      messageId: event.MessageID,
      recipient: event.Recipient,
      occurredAt: event.ChangedAt,
      tag: event.Tag,
      tags: event.Metadata,
    });
  if (!event.SuppressSending) return emailEvent.resubscribed(facts('subscribe'));
  return event.SuppressionReason === 'ManualSuppression'
    ? emailEvent.unsubscribed(facts('unsubscribe'))
    : undefined;
}

function replied(message: z.infer<typeof inbound>): EventDraft | undefined {
  const headerOf = (name: string) =>
    message.Headers?.find((entry) => entry.Name.toLowerCase() === name)?.Value;
  const spam = headerOf('x-spam-status')?.trim().toLowerCase().startsWith('yes') === true;
  if (spam || isAutomatic(headerOf('auto-submitted'))) return undefined;
  const own = MessageIdSchema.safeParse(headerOf('message-id') ?? '');
  return emailEvent.replied({
    eventId: message.MessageID,
    customerId: customerOf(message.FromFull.Email),
    occurredAt: message.Date,
    threadId:
      message.MailboxHash ||
      conversationOf({
        references: headerOf('references'),
        inReplyTo: headerOf('in-reply-to'),
        messageId: own.success ? own.data : message.MessageID,
      }),
  });
}

/** `RecordType` for a webhook; an inbound message has none, and is told by its sender. */
const kind = z
  .object({ RecordType: z.string().optional(), FromFull: z.unknown().optional() })
  .transform((body, context) => {
    if (body.RecordType !== undefined) return body.RecordType;
    if (body.FromFull !== undefined) return 'Inbound';
    context.addIssue({
      code: 'custom',
      path: ['RecordType'],
      message: 'expected a Postmark webhook (RecordType) or an inbound message (FromFull)',
    });
    return z.NEVER;
  });

const adapter = providerAdapter({
  channel: 'email',
  kind,
  rules: {
    Delivery: rule(delivery, (event) =>
      emailEvent.delivered(factsOf(sentMessage(event, 'delivery', event.DeliveredAt))),
    ),
    Open: rule(opened, (event) =>
      emailEvent.opened(
        factsOf(sentMessage(event, 'open', event.ReceivedAt, true), {
          firstOpen: event.FirstOpen,
        }),
      ),
    ),
    Click: rule(clicked, (event) =>
      emailEvent.clicked(factsOf(sentMessage(event, 'click', event.ReceivedAt, true))),
    ),
    Bounce: rule(bounce, bounced),
    SpamComplaint: rule(bounce, (event) =>
      emailEvent.spamReported(factsOf(bouncedMessage(event, 'spamcomplaint'))),
    ),
    SubscriptionChange: rule(subscriptionChange, subscription),
    Inbound: rule(inbound, replied),
  },
});

/**
 * A reply is dated by its `Date` header, which the sender's clock wrote: a clock ahead of ours
 * would date it in the future, where the gateway refuses events. It cannot have been written
 * after we received it.
 */
function notAfterReceipt(result: AdapterResult, receivedAt: string): AdapterResult {
  if (!result.ok) return result;
  const received = instantMs(receivedAt);
  const events = result.events.map((event) =>
    event.type === 'email.replied' && instantMs(event.occurredAt) > received
      ? { ...event, occurredAt: receivedAt }
      : event,
  );
  return { ok: true, events };
}

export const postmarkAdapter: ChannelAdapter = {
  channel: adapter.channel,
  adapt: (body, context) => notAfterReceipt(adapter.adapt(body, context), context.receivedAt),
};
