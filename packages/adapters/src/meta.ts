import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import {
  compact,
  isRecord,
  rule,
  type ChannelAdapter,
  type EventDraft,
  type Item,
  type Rule,
} from './adapter.js';
import { gather, listAt, parseAt, type Drafted } from './gather.js';
import { whatsAppEvents } from './whatsapp.js';
import { instantAt, ProviderIdSchema } from './wire.js';

/**
 * Meta's webhooks for Facebook Pages and Instagram professional accounts
 * (`{ object: "page" | "instagram", entry: [{ id, time, messaging?, standby?, changes? }] }`),
 * and WhatsApp Cloud API's on the same app (`object: "whatsapp_business_account"`, whatsapp.ts).
 * The account (the entry's `id`) is the business; everyone else is a customer, known as
 * `<network>:<their id>` (`facebook:7201954361234567`) because Meta's ids are scoped to a page or
 * an app: the same person has another id on another page, and a Messenger id is not a comment's.
 *
 * | where                          | item                              | canonical type         | visibility |
 * | ------------------------------ | --------------------------------- | ---------------------- | ---------- |
 * | `messaging[]`, `standby[]`     | message from the customer         | social.direct_message  | private    |
 * |                                | message echo (the page's own)     | social.direct_message  | private    |
 * |                                | postback (a button tapped)        | social.direct_message  | private    |
 * |                                | reaction, `action: react`         | social.reacted         | private    |
 * | page `changes[]`, field feed   | comment added                     | social.reply           | public     |
 * |                                | status, post, photo, video added  | social.mention         | public     |
 * |                                | reaction added                    | social.reacted         | public     |
 * | page `changes[]`, mention      | the page tagged in a post/comment | social.mention         | public     |
 * | Instagram `changes[]`          | comments, live_comments           | social.reply           | public     |
 *
 * A private message from the customer is a request (it expects a response) on the thread
 * `<network>:<account>:<customer>`, and the page's echo on that thread answers it. Public
 * comments and mentions do not expect one: a webhook cannot tell a question from praise, and
 * timing the business on every comment would punish it for silence nobody asked it to break (as
 * for the generic social channel). Everything the account itself does in public (its posts, its
 * replies, its reactions) produces nothing: it names no customer. Neither do items that name no
 * author (Instagram's `mentions`, a feed item without `from`), edits, removals, delivery and read
 * receipts (Messenger reports them by watermark, not per message) or other fields.
 *
 * Ids are Meta's: a message's `mid`, a comment's or post's id (one comment is one event whether
 * it arrives as a comment or as a mention); a reaction is `<what>:reaction:<who>`. Times are the
 * item's own (`timestamp`, `created_time`), else the entry's; Meta writes some in milliseconds and
 * some in seconds.
 */

type Network = 'facebook' | 'instagram';

// A Map, so that an `object` named like an Object.prototype member finds nothing.
const NETWORKS: ReadonlyMap<string, Network> = new Map([
  ['page', 'facebook'],
  ['instagram', 'instagram'],
]);

/**
 * Meta writes messaging times in epoch milliseconds and change times in seconds. Below 10^12 a
 * number is seconds: as milliseconds it would be before September 2001, as seconds it reaches
 * the year 33658.
 */
const MetaTimeSchema = z.number().transform((time, context) => {
  const instant = instantAt(time < 1e12 ? time * 1000 : time);
  if (instant !== undefined) return instant;
  context.addIssue({
    code: 'custom',
    message: 'expected unix seconds or milliseconds, 1970 to 2100',
  });
  return z.NEVER;
});

const EnvelopeSchema = z.object({ object: z.string(), entry: z.array(z.unknown()) });

const AccountSchema = z.object({ id: ProviderIdSchema, time: MetaTimeSchema });

interface Account {
  readonly network: Network;
  readonly id: string;
  /** The entry's time, for changes that carry none of their own. */
  readonly time: string;
}

const Participant = z.object({ id: ProviderIdSchema });
const messaging = { sender: Participant, recipient: Participant, timestamp: MetaTimeSchema };

const MessageSchema = z.object({
  ...messaging,
  message: z.object({ mid: IdSchema, is_echo: z.boolean().optional() }),
});
const PostbackSchema = z.object({
  ...messaging,
  postback: z.object({ mid: IdSchema.optional() }),
});
const ReactionSchema = z.object({
  ...messaging,
  reaction: z.object({ mid: IdSchema, action: z.string(), reaction: z.string().optional() }),
});

/** A private conversation between the account and one customer. */
function privately(account: Account, customer: string, eventId: string, occurredAt: string) {
  return {
    eventId,
    customerId: `${account.network}:${customer}`,
    occurredAt,
    threadId: `${account.network}:${account.id}:${customer}`,
    properties: { network: account.network, visibility: 'private' },
  } as const;
}

/** The customer writing to the account: a request. */
function request(account: Account, customer: string, eventId: string, occurredAt: string) {
  return {
    ...privately(account, customer, eventId, occurredAt),
    type: 'social.direct_message',
    direction: 'inbound',
    initiator: 'customer',
    expectsResponse: true,
  } as const;
}

function messagingRules(account: Account): ReadonlyMap<string, Rule> {
  return new Map([
    [
      'message',
      rule(MessageSchema, ({ sender, recipient, timestamp, message }): EventDraft =>
        message.is_echo === true
          ? {
              ...privately(account, recipient.id, message.mid, timestamp),
              type: 'social.direct_message',
              direction: 'outbound',
            }
          : request(account, sender.id, message.mid, timestamp),
      ),
    ],
    [
      'postback',
      rule(PostbackSchema, ({ sender, timestamp, postback }) => {
        // Postbacks from before Meta added their `mid` are named by who tapped, and when.
        const eventId = postback.mid ?? `postback:${sender.id}:${timestamp}`;
        const asked = request(account, sender.id, eventId, timestamp);
        return { ...asked, properties: { ...asked.properties, kind: 'postback' } };
      }),
    ],
    [
      'reaction',
      rule(ReactionSchema, ({ sender, timestamp, reaction }) => {
        if (reaction.action !== 'react' || sender.id === account.id) return undefined;
        const event = privately(
          account,
          sender.id,
          `${reaction.mid}:reaction:${sender.id}`,
          timestamp,
        );
        return {
          ...event,
          type: 'social.reacted',
          direction: 'inbound',
          initiator: 'customer',
          properties: compact({ ...event.properties, reaction: reaction.reaction }),
        };
      }),
    ],
  ]);
}

const MESSAGING_KINDS = ['message', 'postback', 'reaction'];

/** A public act by someone other than the account itself (which names no customer). */
function inPublic(
  account: Account,
  author: { id: string } | undefined,
  eventId: string,
  occurredAt: string | undefined,
  type: string,
): EventDraft | undefined {
  if (author === undefined || author.id === account.id) return undefined;
  return {
    eventId,
    customerId: `${account.network}:${author.id}`,
    occurredAt: occurredAt ?? account.time,
    type,
    direction: 'inbound',
    initiator: 'customer',
    properties: { network: account.network, visibility: 'public' },
  };
}

const change = <T extends z.ZodType>(value: T) => z.object({ value });

const feedItem = {
  // Absent when Meta withholds the author: nobody to attribute the item to.
  from: Participant.optional(),
  post_id: ProviderIdSchema,
  created_time: MetaTimeSchema.optional(),
};
const FeedCommentSchema = change(z.object({ ...feedItem, comment_id: ProviderIdSchema }));
const FeedPostSchema = change(z.object(feedItem));
const FeedReactionSchema = change(
  z.object({
    ...feedItem,
    comment_id: ProviderIdSchema.optional(),
    reaction_type: z.string().optional(),
  }),
);
const MentionSchema = change(
  z.object({
    sender_id: ProviderIdSchema,
    post_id: ProviderIdSchema,
    comment_id: ProviderIdSchema.optional(),
  }),
);
const InstagramCommentSchema = change(
  z.object({
    id: ProviderIdSchema,
    from: Participant.optional(),
    media: z.object({ id: ProviderIdSchema }),
  }),
);

function changeRules(account: Account): ReadonlyMap<string, Rule> {
  const visitorPost = rule(FeedPostSchema, ({ value }) =>
    inPublic(account, value.from, value.post_id, value.created_time, 'social.mention'),
  );
  const instagramComment = rule(InstagramCommentSchema, ({ value }) => {
    const event = inPublic(account, value.from, value.id, undefined, 'social.reply');
    return event && { ...event, threadId: value.media.id };
  });
  return new Map([
    [
      'feed:comment:add',
      rule(FeedCommentSchema, ({ value }) => {
        const event = inPublic(
          account,
          value.from,
          value.comment_id,
          value.created_time,
          'social.reply',
        );
        return event && { ...event, threadId: value.post_id };
      }),
    ],
    ['feed:status:add', visitorPost],
    ['feed:post:add', visitorPost],
    ['feed:photo:add', visitorPost],
    ['feed:video:add', visitorPost],
    [
      'feed:reaction:add',
      rule(FeedReactionSchema, ({ value }) => {
        const target = value.comment_id ?? value.post_id;
        const eventId = `${target}:reaction:${value.from?.id ?? ''}`;
        const event = inPublic(account, value.from, eventId, value.created_time, 'social.reacted');
        return (
          event && {
            ...event,
            properties: compact({ ...event.properties, reaction: value.reaction_type }),
          }
        );
      }),
    ],
    [
      'mention:add',
      rule(MentionSchema, ({ value }) =>
        inPublic(
          account,
          { id: value.sender_id },
          value.comment_id ?? value.post_id,
          undefined,
          'social.mention',
        ),
      ),
    ],
    ['comments', instagramComment],
    ['live_comments', instagramComment],
  ]);
}

/** `feed:<item>:<verb>` for feed changes, `mention:<verb>`, else the field's name. */
function changeKind(item: unknown): string | undefined {
  if (!isRecord(item) || typeof item.field !== 'string') return undefined;
  const value = isRecord(item.value) ? item.value : {};
  const text = (key: string) => (typeof value[key] === 'string' ? value[key] : '');
  if (item.field === 'feed') return `feed:${text('item')}:${text('verb')}`;
  if (item.field === 'mention') return `mention:${text('verb')}`;
  return item.field;
}

function messagingKind(item: unknown): string | undefined {
  return isRecord(item) ? MESSAGING_KINDS.find((kind) => isRecord(item[kind])) : undefined;
}

function dispatch(
  items: readonly Item[],
  kindOf: (item: unknown) => string | undefined,
  rules: ReadonlyMap<string, Rule>,
): Drafted[] {
  return items.flatMap(({ at, item }) => {
    const found = rules.get(kindOf(item) ?? '');
    return found === undefined ? [] : [{ at, channel: 'social', drafted: found(item, at) }];
  });
}

/** The events of one page or Instagram entry. */
function accountEvents(network: Network, entry: unknown, at: string): Drafted[] {
  const head = parseAt(AccountSchema, entry, at);
  if (!head.ok) return [{ at, channel: 'social', drafted: head }];
  if (!isRecord(entry)) return [];
  const account = { network, ...head.value };
  const messages = [...listAt(entry, 'messaging', at), ...listAt(entry, 'standby', at)];
  return [
    ...dispatch(messages, messagingKind, messagingRules(account)),
    ...dispatch(listAt(entry, 'changes', at), changeKind, changeRules(account)),
  ];
}

export const metaAdapter: ChannelAdapter = {
  channel: 'social',
  adapt(body) {
    const envelope = parseAt(EnvelopeSchema, body, '');
    if (!envelope.ok) return gather([], envelope.issues);
    const { object, entry } = envelope.value;
    const network = NETWORKS.get(object);
    return gather(
      entry.flatMap((item, index) => {
        const at = `entry.${index}`;
        if (object === 'whatsapp_business_account') return whatsAppEvents(item, at);
        return network === undefined ? [] : accountEvents(network, item, at);
      }),
    );
  },
};
