import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import type { EventDraft, Properties } from './adapter.js';
import { instantAt, ProviderIdSchema } from './wire.js';

/**
 * The canonical email events, shared by every email provider's adapter (SendGrid, Mailgun,
 * Postmark), so that an open or an unsubscribe weighs the same whoever delivered the message.
 *
 * | canonical type        | direction | initiator | notes                                          |
 * | --------------------- | --------- | --------- | ---------------------------------------------- |
 * | email.delivered       | outbound  | business  | the business reached the customer              |
 * | email.opened          | inbound   | business  | participation: showing up, not a reply         |
 * | email.clicked         | inbound   | business  | participation                                  |
 * | email.bounced         | outbound  | business  | value 0, no thread                             |
 * | email.unsubscribed    | inbound   | customer  | sentiment −0.5, value 0                        |
 * | email.resubscribed    | inbound   | customer  | sentiment +0.5, value 0                        |
 * | email.spam_reported   | inbound   | customer  | sentiment −1, value 0                          |
 * | email.replied         | inbound   | (none)    | expectsResponse: the customer wrote to us      |
 *
 * Opens and clicks are initiated by the business: the customer reacts to a message they did not
 * ask for. Bounces, unsubscribes and spam reports are evidence, not value exchanged: value 0 keeps
 * them out of the ledger even under a catalog that does not know their type. No email event is a
 * promise kept or broken, so none carries an `outcome`.
 *
 * A bounce carries no thread on purpose: the business's next outbound message on a thread answers
 * the customer's open request there, and a message that never arrived answers nothing.
 */

/** What a provider's event says about one message to (or from) one customer. */
export interface MessageFacts {
  readonly eventId: string;
  readonly customerId: string;
  readonly occurredAt: string;
  readonly threadId?: string | undefined;
  readonly properties?: Properties | undefined;
}

const fromBusiness = { initiator: 'business' } as const;
const fromCustomer = { direction: 'inbound', initiator: 'customer' } as const;

export const emailEvent = {
  delivered: (facts: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.delivered',
    direction: 'outbound',
    ...fromBusiness,
  }),
  opened: (facts: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.opened',
    direction: 'inbound',
    ...fromBusiness,
  }),
  clicked: (facts: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.clicked',
    direction: 'inbound',
    ...fromBusiness,
  }),
  bounced: ({ threadId: _unthreaded, ...facts }: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.bounced',
    direction: 'outbound',
    ...fromBusiness,
    value: 0,
  }),
  unsubscribed: (facts: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.unsubscribed',
    ...fromCustomer,
    sentiment: -0.5,
    value: 0,
  }),
  /** The customer asked to hear from the business again: the mirror of an unsubscribe. */
  resubscribed: (facts: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.resubscribed',
    ...fromCustomer,
    sentiment: 0.5,
    value: 0,
  }),
  spamReported: (facts: MessageFacts): EventDraft => ({
    ...facts,
    type: 'email.spam_reported',
    ...fromCustomer,
    sentiment: -1,
    value: 0,
  }),
  /** A message from the customer: a request the business must answer on its thread. */
  replied: (facts: MessageFacts & { readonly threadId: string }): EventDraft => ({
    ...facts,
    type: 'email.replied',
    direction: 'inbound',
    expectsResponse: true,
  }),
};

/**
 * What the business attached to a message when it sent it (SendGrid custom args, Mailgun
 * `user-variables`, Postmark `Metadata`) that names the customer or the thread. Providers write
 * numbers where the sender did (`{ "customer_id": 43 }`); ids become strings.
 */
export const SenderTagsSchema = z.object({
  customer_id: ProviderIdSchema.optional(),
  userId: ProviderIdSchema.optional(),
  thread_id: ProviderIdSchema.optional(),
});
export type SenderTags = z.infer<typeof SenderTagsSchema>;

/** The customer: the id the sender attached, else the lower-cased address. */
export function customerOf(address: string, tags: SenderTags = {}): string {
  return tags.customer_id ?? tags.userId ?? address.trim().toLowerCase();
}

/**
 * The address in a `From` header (`"Bob Lee" <blee@example.com>` → `blee@example.com`), or the
 * text itself when it is a bare address.
 */
export function addressIn(header: string): string {
  const angled = /<([^<>]+)>\s*$/.exec(header);
  return (angled?.[1] ?? header).trim();
}

/**
 * A Message-ID as an id: without its angle brackets, as Mailgun writes it in its events, so that
 * a reply's `In-Reply-To: <x@y>` names the same thread as the message `x@y` it answers.
 */
export function messageIdOf(value: string): string | undefined {
  const bare = (/<([^<>]+)>/.exec(value)?.[1] ?? value).trim();
  return bare === '' ? undefined : bare;
}

/**
 * The conversation an inbound message belongs to: the first message of its `References` (the
 * root, the same for every message of the conversation, whichever one is answered), else the
 * message it answers, else the message itself (a new conversation).
 */
export function conversationOf(headers: {
  readonly references?: string | undefined;
  readonly inReplyTo?: string | undefined;
  readonly messageId: string;
}): string {
  const root = headers.references?.match(/<[^<>]+>/)?.[0];
  for (const named of [root, headers.inReplyTo]) {
    const id = named === undefined ? undefined : messageIdOf(named);
    if (id !== undefined) return id;
  }
  return headers.messageId;
}

/**
 * Inbound mail that is not the customer writing: auto-replies (out of office, RFC 3834's
 * `Auto-Submitted` other than `no`). They expect no answer, so they would open requests no one
 * owes.
 */
export function isAutomatic(autoSubmitted: string | undefined): boolean {
  return autoSubmitted !== undefined && autoSubmitted.trim().toLowerCase() !== 'no';
}

/**
 * An RFC 5322 `Date` header, read only when it ends with its zone (`+0200`, `-04:00` as Postmark
 * writes it, `GMT`; a trailing comment such as `(CEST)` aside): a bare local time is ambiguous.
 */
export const MailDateSchema = z.string().transform((text, context) => {
  const zoned = /(?:[+-]\d{2}:?\d{2}|\b(?:UT|GMT|Z|[ECMP][SD]T))\s*(?:\([^()]*\))?\s*$/.test(text);
  const ms = zoned ? Date.parse(text) : Number.NaN;
  const instant = Number.isFinite(ms) ? instantAt(ms) : undefined;
  if (instant !== undefined) return instant;
  context.addIssue({ code: 'custom', message: 'expected an RFC 5322 date with its zone' });
  return z.NEVER;
});

/** A Message-ID header's value as an id, without its angle brackets. */
export const MessageIdSchema = z
  .string()
  .transform((value, context) => {
    const id = messageIdOf(value);
    if (id !== undefined) return id;
    context.addIssue({ code: 'custom', message: 'expected a Message-ID' });
    return z.NEVER;
  })
  .pipe(IdSchema);
