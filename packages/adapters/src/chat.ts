import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { compact, GENERIC_SIGNATURE, providerAdapter, rule, type EventDraft } from './adapter.js';
import { ProviderIdSchema, UnixSecondsSchema } from './wire.js';

/**
 * Chat: Intercom's conversation webhooks (API 2.x: `{ type: 'notification_event', id, topic,
 * created_at, data: { item: <conversation> } }`). The conversation is the thread; the customer is
 * the conversation's first contact, by the `external_id` the business gave it, else Intercom's id.
 *
 * Who wrote the message decides its direction, not the topic: Intercom reports a Fin or workflow
 * answer under `conversation.admin.replied` with a `bot` author.
 *
 * | topic                                         | author             | canonical type             |
 * | --------------------------------------------- | ------------------ | -------------------------- |
 * | conversation.user.created                     | user, lead         | chat.conversation_started  |
 * | conversation.admin.single.created             | admin              | chat.conversation_started  |
 * | conversation.user.replied, .admin.replied,    | user, lead         | chat.customer_replied      |
 * | .operator.replied                             | admin, team        | chat.agent_replied         |
 * |                                               | bot                | chat.bot_replied           |
 * | conversation.admin.closed                     |                    | chat.conversation_closed   |
 * | conversation.rating.added                     | the contact        | chat.satisfaction_rated    |
 *
 * A customer's message is inbound and expects a response; everything else is outbound. Bot answers
 * get their own type so that the catalog can decide whether a canned answer counts as being heard.
 * A close is not evidence of a solution (agents close silent conversations too), so it has no
 * outcome, unlike a solved support ticket.
 *
 * A rating is the customer's verdict on the conversation, trust evidence like Zendesk's
 * satisfaction: Intercom's five faces (1 to 5) become a sentiment from −1 to 1, and the teammate
 * rated rides along as `properties.teammateId`. Its remark is free text and stays out.
 *
 * Left unmapped, as no interaction with the customer: assignments (`conversation.admin.assigned`,
 * `.open.assigned`: routing inside the business), notes (`.admin.noted`: internal), snoozes,
 * reopenings, priority and attachment changes, and `conversation.read` (the contact opened the
 * Messenger; Intercom sends it on every view, with no message to say what was read).
 */

type Role = 'customer' | 'agent' | 'bot';

const AuthorTypeSchema = z.enum(['user', 'lead', 'contact', 'admin', 'team', 'bot']);

const ROLES: Readonly<Record<z.infer<typeof AuthorTypeSchema>, Role>> = {
  user: 'customer',
  lead: 'customer',
  contact: 'customer',
  admin: 'agent',
  team: 'agent',
  bot: 'bot',
};

const author = z.object({ type: AuthorTypeSchema.transform((type) => ROLES[type]) });

const contact = z.object({ id: ProviderIdSchema, external_id: IdSchema.nullish() });

const conversation = z.object({
  id: ProviderIdSchema,
  // A tuple with a rest element, so the type knows there is a first contact.
  contacts: z.object({ contacts: z.tuple([contact], contact) }),
  source: z.object({ author }),
});

const notification = z.object({
  id: IdSchema,
  created_at: UnixSecondsSchema,
  data: z.object({ item: conversation }),
});

const part = z.object({ id: ProviderIdSchema, author });

/** A reply notification carries the new part last; without one there is no reply to record. */
const replied = notification.extend({
  data: z.object({
    item: conversation.extend({
      conversation_parts: z.object({ conversation_parts: z.tuple([part], part) }),
    }),
  }),
});

/** Intercom's five faces, from 1 (angry) to 5 (amazed), and the teammate the customer rated. */
const rated = notification.extend({
  data: z.object({
    item: conversation.extend({
      conversation_rating: z.object({
        rating: z.number().int().min(1).max(5),
        teammate: z.object({ id: ProviderIdSchema }).nullish(),
      }),
    }),
  }),
});

type Notification = z.infer<typeof notification>;

function inConversation({ id, created_at, data: { item } }: Notification) {
  const [customer] = item.contacts.contacts;
  return {
    eventId: id,
    customerId: customer.external_id ?? customer.id,
    occurredAt: created_at,
    threadId: item.id,
  };
}

/** A customer's message is a request; the business's and its bots' are answers. */
function message(event: Notification, role: Role, type: string): EventDraft {
  const fromCustomer = role === 'customer';
  return {
    ...inConversation(event),
    type,
    direction: fromCustomer ? 'inbound' : 'outbound',
    ...(fromCustomer && { expectsResponse: true }),
  };
}

const REPLY_TYPES: Readonly<Record<Role, string>> = {
  customer: 'chat.customer_replied',
  agent: 'chat.agent_replied',
  bot: 'chat.bot_replied',
};

const started = rule(notification, (event) => {
  const role = event.data.item.source.author.type;
  return {
    ...message(event, role, 'chat.conversation_started'),
    initiator: role === 'customer' ? 'customer' : 'business',
  };
});

const reply = rule(replied, (event) => {
  const parts = event.data.item.conversation_parts.conversation_parts;
  const latest = parts[parts.length - 1] ?? parts[0];
  return message(event, latest.author.type, REPLY_TYPES[latest.author.type]);
});

export const chatAdapter = providerAdapter({
  channel: 'chat',
  signature: GENERIC_SIGNATURE,
  kind: z.object({ topic: z.string() }).transform(({ topic }) => topic),
  rules: {
    'conversation.user.created': started,
    'conversation.admin.single.created': started,
    'conversation.user.replied': reply,
    'conversation.admin.replied': reply,
    'conversation.operator.replied': reply,
    'conversation.admin.closed': rule(notification, (event) => ({
      ...inConversation(event),
      type: 'chat.conversation_closed',
      direction: 'outbound',
    })),
    'conversation.rating.added': rule(rated, (event) => {
      const { rating, teammate } = event.data.item.conversation_rating;
      return {
        ...inConversation(event),
        type: 'chat.satisfaction_rated',
        direction: 'inbound',
        initiator: 'customer',
        // 3 is the neutral face: 1 → −1, 2 → −0.5, 4 → 0.5, 5 → 1.
        sentiment: (rating - 3) / 2,
        properties: compact({ rating, teammateId: teammate?.id }),
      };
    }),
  },
});
