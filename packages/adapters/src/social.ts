import { z } from 'zod';
import { IdSchema, InstantSchema } from '@rapport/schema';
import { compact, GENERIC_SIGNATURE, providerAdapter, rule } from './adapter.js';
import { ProviderIdSchema } from './wire.js';

/**
 * Social: a generic social-listening payload, one item or an array of them, as listening tools
 * export mentions:
 *
 * ```json
 * { "id": "m-1", "type": "mention" | "reply" | "direct_message", "network": "x",
 *   "created_at": "2024-05-01T09:30:00Z", "author": { "id": "123", "customer_id": "cus_42" },
 *   "visibility": "public" | "private", "conversation_id": "c-9", "in_reply_to": "p-7",
 *   "sentiment": 0.6 | "positive" | "neutral" | "negative", "url": "https://…" }
 * ```
 *
 * | `type`         | canonical type        | notes                                                |
 * | -------------- | --------------------- | ---------------------------------------------------- |
 * | mention        | social.mention        | public unless told otherwise                         |
 * | reply          | social.reply          | thread = the post it answers                         |
 * | direct_message | social.direct_message | private; expects a response; thread = conversation   |
 *
 * All are inbound and initiated by the customer. Only direct messages expect a response: a
 * listening tool cannot tell a public question from public praise, and timing the business on
 * every mention would punish it for silence nobody asked it to break. Visibility rides in
 * `properties.visibility` (the relationship's public/private dimension). Without a `customer_id`
 * the customer is the network-qualified handle id (`x:123`), since bare ids collide across networks.
 */

const LABELS = { positive: 1, neutral: 0, negative: -1 } as const;

const sentiment = z.union([
  z.number().min(-1).max(1),
  z.enum(['positive', 'neutral', 'negative']).transform((label) => LABELS[label]),
]);

const socialEvent = z.object({
  id: IdSchema,
  network: z.string().regex(/^[a-z0-9_-]+$/, 'expected a lowercase network name such as "x"'),
  created_at: InstantSchema,
  author: z.object({ id: ProviderIdSchema, customer_id: IdSchema.optional() }),
  visibility: z.enum(['public', 'private']).optional(),
  conversation_id: ProviderIdSchema.optional(),
  in_reply_to: ProviderIdSchema.optional(),
  sentiment: sentiment.optional(),
  url: z.url().optional(),
});

type SocialEvent = z.infer<typeof socialEvent>;

function heard(event: SocialEvent, type: string, visibility: 'public' | 'private') {
  return {
    eventId: event.id,
    customerId: event.author.customer_id ?? `${event.network}:${event.author.id}`,
    occurredAt: event.created_at,
    type,
    direction: 'inbound',
    initiator: 'customer',
    sentiment: event.sentiment,
    properties: compact({
      network: event.network,
      visibility: event.visibility ?? visibility,
      url: event.url,
    }),
  } as const;
}

export const socialAdapter = providerAdapter({
  channel: 'social',
  signature: GENERIC_SIGNATURE,
  kind: z.object({ type: z.string() }).transform(({ type }) => type),
  rules: {
    mention: rule(socialEvent, (event) => heard(event, 'social.mention', 'public')),
    reply: rule(socialEvent, (event) => ({
      ...heard(event, 'social.reply', 'public'),
      threadId: event.in_reply_to,
    })),
    direct_message: rule(socialEvent, (event) => ({
      ...heard(event, 'social.direct_message', 'private'),
      threadId: event.conversation_id ?? event.id,
      expectsResponse: true,
    })),
  },
});
