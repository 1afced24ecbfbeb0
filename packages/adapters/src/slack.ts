import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { compact, providerAdapter, rule, type EventDraft } from './adapter.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * Chat: Slack's Events API (`{ type: 'event_callback', team_id, event_id, event_time, event }`),
 * one event per request. The customer is the Slack user who wrote; the thread is the message's
 * `thread_ts`, or its own `ts` when it starts one; the event id is Slack's `event_id`, which a
 * retry keeps.
 *
 * | `event.type`                       | written by                     | canonical type            | direction          |
 * | ---------------------------------- | ------------------------------ | ------------------------- | ------------------ |
 * | message, app_mention (starts one)  | a user                         | chat.conversation_started | inbound (customer) |
 * | message, app_mention (in a thread) | a user                         | chat.customer_replied     | inbound            |
 * | message (in a thread)              | a bot (`bot_id`)               | chat.bot_replied          | outbound           |
 * | message (in a thread)              | the workspace's own member, in | chat.agent_replied        | outbound           |
 * |                                    | a channel shared with another  |                           |                    |
 * |                                    | organisation                   |                           |                    |
 * | reaction_added (to a message)      | a user                         | chat.reaction_added       | inbound, sentiment |
 *
 * **Who is the business.** Slack says who a message is from, not whose side they are on. A bot is
 * the business's automation. A person is the business's only where the payload says so: in a
 * channel shared with another organisation (Slack Connect, `is_ext_shared_channel`), a member of
 * the team the app is installed in (`user_team`, else `team`, equal to `team_id`) is staff and
 * everyone else a customer. Anywhere else, as in a community workspace, every person is a
 * customer: nothing in the payload tells staff apart, and guessing would turn customers' words
 * into the business's.
 *
 * **Whom an answer is for.** A reply by the business is recorded for the customer whose thread it
 * answers (`parent_user_id`); a message by the business outside a thread names no customer
 * (an announcement, or an answer in a DM, whose other member Slack does not send) and produces
 * nothing. Answer in the customer's thread for the answer to count.
 *
 * **What expects a response.** A customer's message expects one when it is addressed to the
 * business: in a direct message with the app (`channel_type` `im`, or the app's Messages tab), a
 * mention of the app (`app_mention`), or in a channel shared with the customer's organisation,
 * which exists for the two to talk. In a community channel members answer each other, and timing
 * the business on every message would punish it for silences nobody asked it to break.
 *
 * **Reactions** are a one-click gesture: inbound participation, with a sentiment of ±0.5 for the
 * emoji whose meaning is not in doubt (`+1`, `heart`, `tada`, … and `-1`, `rage`, …; skin tones
 * aside) and none for the rest. A reaction to one's own message is no interaction.
 *
 * Nothing else is an interaction: edits, deletions, joins and other message subtypes, and
 * `url_verification`, Slack's endpoint check, which the gateway's Slack scheme answers.
 *
 * Subscribe the app to app_mention only for channels whose messages it does not also receive:
 * Slack sends a mention in such a channel twice, as a `message` and as an `app_mention`, each with
 * its own event id, and both would count.
 */

/** Slack's message timestamps: seconds and microseconds, `"1355517523.000005"`, unique per channel. */
const TsSchema = z
  .string()
  .regex(/^\d+\.\d+$/, 'expected a Slack timestamp such as "1355517523.000005"');

const envelope = z.object({
  type: z.literal('event_callback'),
  team_id: IdSchema,
  event_id: IdSchema,
  event_time: UnixSecondsSchema,
  is_ext_shared_channel: z.boolean().optional(),
});

const messageEvent = envelope.extend({
  event: z.object({
    type: z.enum(['message', 'app_mention']),
    subtype: z.string().optional(),
    user: IdSchema.optional(),
    bot_id: IdSchema.optional(),
    team: IdSchema.optional(),
    user_team: IdSchema.optional(),
    channel: IdSchema,
    // app_mention has none; `app_home` is the app's Messages tab.
    channel_type: z.string().optional(),
    ts: TsSchema,
    thread_ts: TsSchema.optional(),
    parent_user_id: IdSchema.optional(),
  }),
});

const reactionEvent = envelope.extend({
  event: z.object({
    type: z.literal('reaction_added'),
    user: IdSchema,
    reaction: z.string().min(1),
    item_user: IdSchema.optional(),
    // Files and file comments can be reacted to as well; only messages are conversations.
    item: z.object({ type: z.string(), channel: IdSchema.optional() }),
  }),
});

type Envelope = z.infer<typeof envelope>;
type Message = z.infer<typeof messageEvent>['event'];
type Side = 'customer' | 'agent' | 'bot';

/** Subtypes that are still someone writing; the rest are edits, deletions, joins and the like. */
const WRITTEN = new Set([undefined, 'bot_message', 'file_share', 'thread_broadcast', 'me_message']);

function sideOf(event: Message, { team_id, is_ext_shared_channel }: Envelope): Side | undefined {
  if (event.bot_id !== undefined || event.subtype === 'bot_message') return 'bot';
  if (event.user === undefined) return undefined;
  const ownTeam = (event.user_team ?? event.team) === team_id;
  return is_ext_shared_channel === true && ownTeam ? 'agent' : 'customer';
}

function addressed(event: Message, { is_ext_shared_channel }: Envelope): boolean {
  return (
    event.type === 'app_mention' ||
    event.channel_type === 'im' ||
    event.channel_type === 'app_home' ||
    is_ext_shared_channel === true
  );
}

const ANSWER_TYPES = { agent: 'chat.agent_replied', bot: 'chat.bot_replied' } as const;

function written(payload: z.infer<typeof messageEvent>): EventDraft | undefined {
  const { event } = payload;
  const side = WRITTEN.has(event.subtype) ? sideOf(event, payload) : undefined;
  if (side === undefined) return undefined;
  const threadId = event.thread_ts ?? event.ts;
  const starts = threadId === event.ts;
  const common = {
    eventId: payload.event_id,
    occurredAt: payload.event_time,
    threadId,
    properties: compact({ channel: event.channel, channelType: event.channel_type }),
  };
  if (side === 'customer') {
    return {
      ...common,
      customerId: event.user,
      type: starts ? 'chat.conversation_started' : 'chat.customer_replied',
      direction: 'inbound',
      ...(starts && { initiator: 'customer' }),
      ...(addressed(event, payload) && { expectsResponse: true }),
    };
  }
  const customer = starts ? undefined : event.parent_user_id;
  if (customer === undefined || customer === event.user) return undefined;
  return { ...common, customerId: customer, type: ANSWER_TYPES[side], direction: 'outbound' };
}

/** Emoji whose meaning is not in doubt, by Slack's short name. */
const SENTIMENTS: ReadonlyMap<string, number> = new Map([
  ...[
    '+1',
    'thumbsup',
    'heart',
    'heart_eyes',
    'tada',
    'raised_hands',
    'clap',
    'pray',
    'white_check_mark',
    'heavy_check_mark',
    '100',
    'star-struck',
    'smile',
    'slightly_smiling_face',
  ].map((name) => [name, 0.5] as const),
  ...[
    '-1',
    'thumbsdown',
    'rage',
    'angry',
    'disappointed',
    'confused',
    'cry',
    'unamused',
    'face_with_rolling_eyes',
    'x',
  ].map((name) => [name, -0.5] as const),
]);

function reacted(payload: z.infer<typeof reactionEvent>): EventDraft | undefined {
  const { event } = payload;
  if (event.item.type !== 'message' || event.item_user === event.user) return undefined;
  // `+1::skin-tone-3` is `+1`.
  const [reaction = event.reaction] = event.reaction.split('::');
  return {
    eventId: payload.event_id,
    customerId: event.user,
    occurredAt: payload.event_time,
    type: 'chat.reaction_added',
    direction: 'inbound',
    sentiment: SENTIMENTS.get(reaction),
    properties: compact({ channel: event.item.channel, reaction }),
  };
}

export const slackAdapter = providerAdapter({
  channel: 'chat',
  // The event inside the callback; any other body (url_verification, app_rate_limited) by its type.
  kind: z.union([
    z
      .object({ type: z.literal('event_callback'), event: z.object({ type: z.string() }) })
      .transform(({ event }) => event.type),
    z.object({ type: z.string() }).transform(({ type }) => type),
  ]),
  rules: {
    message: rule(messageEvent, written),
    app_mention: rule(messageEvent, written),
    reaction_added: rule(reactionEvent, reacted),
  },
});
