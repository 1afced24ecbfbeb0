import { describe, expect, it } from 'vitest';
import { chatAdapter } from './chat.js';
import recorded from './samples/intercom-conversation-webhooks.json' with { type: 'json' };
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

const IN_CONVERSATION = { customerId: 'cus_42', channel: 'chat', threadId: '1295' };

/** Intercom posts one notification per request; the sample holds a conversation's life. */
const adaptAll = (payloads: readonly unknown[]) =>
  payloads.flatMap((payload) => eventsOf(chatAdapter.adapt(payload, CONTEXT)));

describe('chatAdapter (Intercom conversation webhooks)', () => {
  it("maps a conversation's recorded life to exactly these events, by author", () => {
    expect(adaptAll(recorded)).toEqual([
      {
        ...IN_CONVERSATION,
        eventId: 'notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        expectsResponse: true,
        occurredAt: '2024-05-01T09:30:01.000Z',
      },
      {
        ...IN_CONVERSATION,
        eventId: 'notif_1b3e5c7a-0f2d-4c6e-9a8b-2d4f6a8c0e13',
        type: 'chat.bot_replied',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:30:30.000Z',
      },
      {
        ...IN_CONVERSATION,
        eventId: 'notif_2c4f6d8b-1a3e-4d7f-8b9c-3e5a7b9d1f24',
        type: 'chat.customer_replied',
        direction: 'inbound',
        expectsResponse: true,
        occurredAt: '2024-05-01T09:35:00.000Z',
      },
      {
        ...IN_CONVERSATION,
        eventId: 'notif_4e6b8fad-3c5a-4f9b-8dbe-5a7c9dbf3b46',
        type: 'chat.agent_replied',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:45:00.000Z',
      },
      {
        ...IN_CONVERSATION,
        eventId: 'notif_5f7c9abe-4d6b-4a0c-9ecf-6b8daec04c57',
        type: 'chat.conversation_closed',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:46:00.000Z',
      },
      {
        ...IN_CONVERSATION,
        eventId: 'notif_6a8dabcf-5e7c-4b1d-8fd0-7c9ebfd15d68',
        type: 'chat.satisfaction_rated',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:50:00.000Z',
        sentiment: 0.5,
        properties: { rating: 4, teammateId: '814860' },
      },
    ]);
  });

  it("reads Intercom's five faces as a sentiment from −1 to 1", () => {
    const rating = recorded.at(-1);
    const item = rating?.data.item;
    const rate = (score: number, teammate: unknown = item?.conversation_rating?.teammate) => ({
      ...rating,
      data: { item: { ...item, conversation_rating: { rating: score, teammate } } },
    });
    const sentiments = [1, 2, 3, 4, 5].map((score) => adaptAll([rate(score)])[0]?.sentiment);
    expect(sentiments).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(adaptAll([rate(1, null)])[0]?.properties).toEqual({ rating: 1 });
    expect(pathsOf(chatAdapter.adapt(rate(0), CONTEXT))).toEqual([
      'data.item.conversation_rating.rating',
    ]);
  });

  it('takes Fin and workflow answers under conversation.operator.replied by their bot author', () => {
    const [, botReply] = recorded;
    expect(adaptAll([{ ...botReply, topic: 'conversation.operator.replied' }])).toMatchObject([
      { type: 'chat.bot_replied', direction: 'outbound' },
    ]);
  });

  it('records nothing for assignments, notes, snoozes and reads', () => {
    const [first] = recorded;
    const topics = [
      'conversation.admin.assigned',
      'conversation.admin.open.assigned',
      'conversation.admin.noted',
      'conversation.admin.snoozed',
      'conversation.read',
      'ping',
    ];
    expect(adaptAll(topics.map((topic) => ({ ...first, topic })))).toEqual([]);
  });

  it("falls back to Intercom's contact id and starts outbound when an admin writes first", () => {
    const [first] = recorded;
    const outreach = {
      ...first,
      topic: 'conversation.admin.single.created',
      data: {
        item: {
          ...first?.data.item,
          source: { author: { type: 'admin', id: '814860' } },
          contacts: { contacts: [{ id: '662e1b5c9e1f3a0001a2b3c4', external_id: null }] },
        },
      },
    };
    expect(adaptAll([outreach])).toEqual([
      {
        ...IN_CONVERSATION,
        customerId: '662e1b5c9e1f3a0001a2b3c4',
        eventId: 'notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3',
        type: 'chat.conversation_started',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2024-05-01T09:30:01.000Z',
      },
    ]);
  });

  it('refuses a reply without its part, a conversation without contacts, an unknown author', () => {
    const [, reply] = recorded;
    const item = reply?.data.item;
    const broken = {
      ...reply,
      data: {
        item: {
          ...item,
          contacts: { contacts: [] },
          source: { author: { type: 'robot', id: '1' } },
          conversation_parts: { conversation_parts: [] },
        },
      },
    };
    expect(pathsOf(chatAdapter.adapt(broken, CONTEXT)).sort()).toEqual([
      'data.item.contacts.contacts.0',
      'data.item.conversation_parts.conversation_parts.0',
      'data.item.source.author.type',
    ]);
  });
});
