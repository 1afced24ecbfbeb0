import { describe, expect, it } from 'vitest';
import recorded from './samples/slack-events.json' with { type: 'json' };
import { slackAdapter } from './slack.js';
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

/** Slack posts one event per request; the sample holds a DM, a mention and a Slack Connect thread. */
const adaptAll = (payloads: readonly unknown[]) =>
  payloads.flatMap((payload) => eventsOf(slackAdapter.adapt(payload, CONTEXT)));

const DM = { channel: 'chat', customerId: 'U0G9QF9C6', threadId: '1714555800.000100' };
const DM_PROPERTIES = { properties: { channel: 'D0PNCRP9N', channelType: 'im' } };
const SHARED = { channel: 'chat', customerId: 'U0EXT4QX2', threadId: '1714557000.000600' };
const SHARED_PROPERTIES = { properties: { channel: 'C0SHARD8K', channelType: 'channel' } };

/** The recorded payload at `index`, with its `event` changed and the envelope's `overrides`. */
function variant(index: number, event: object, overrides: object = {}) {
  const payload = recorded[index] as { event: object };
  return { ...payload, ...overrides, event: { ...payload.event, ...event } };
}

describe('slackAdapter (Slack Events API)', () => {
  it('maps the recorded events to exactly these, by who wrote and where', () => {
    expect(adaptAll(recorded)).toEqual([
      {
        ...DM,
        ...DM_PROPERTIES,
        eventId: 'Ev0PV52K21',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        expectsResponse: true,
        occurredAt: '2024-05-01T09:30:00.000Z',
      },
      {
        ...DM,
        ...DM_PROPERTIES,
        eventId: 'Ev0PV52K22',
        type: 'chat.bot_replied',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:30:30.000Z',
      },
      {
        ...DM,
        ...DM_PROPERTIES,
        eventId: 'Ev0PV52K23',
        type: 'chat.customer_replied',
        direction: 'inbound',
        expectsResponse: true,
        occurredAt: '2024-05-01T09:35:00.000Z',
      },
      {
        channel: 'chat',
        customerId: 'U0MEMBR55',
        threadId: '1714556400.000500',
        properties: { channel: 'C0LAN2Q65' },
        eventId: 'Ev0PV52K25',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        expectsResponse: true,
        occurredAt: '2024-05-01T09:40:00.000Z',
      },
      {
        ...SHARED,
        ...SHARED_PROPERTIES,
        eventId: 'Ev0PV52K26',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        expectsResponse: true,
        occurredAt: '2024-05-01T09:50:00.000Z',
      },
      {
        ...SHARED,
        ...SHARED_PROPERTIES,
        eventId: 'Ev0PV52K27',
        type: 'chat.agent_replied',
        direction: 'outbound',
        occurredAt: '2024-05-01T10:00:00.000Z',
      },
      {
        channel: 'chat',
        customerId: 'U0EXT4QX2',
        eventId: 'Ev0PV52K28',
        type: 'chat.reaction_added',
        direction: 'inbound',
        sentiment: 0.5,
        occurredAt: '2024-05-01T10:01:00.000Z',
        properties: { channel: 'C0SHARD8K', reaction: '+1' },
      },
    ]);
  });

  it('counts every person as a customer outside a shared channel, expecting no answer in a channel', () => {
    // The workspace's own member, in its own channel: nothing says they are staff.
    const member = variant(
      6,
      { team: 'T061EG9R6', user_team: 'T061EG9R6' },
      {
        is_ext_shared_channel: false,
      },
    );
    expect(adaptAll([member])).toEqual([
      {
        ...SHARED,
        ...SHARED_PROPERTIES,
        eventId: 'Ev0PV52K26',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:50:00.000Z',
      },
    ]);
  });

  it("records the business's answers for the thread's customer, and nothing outside a thread", () => {
    const legacyBot = variant(2, { subtype: 'bot_message', bot_id: 'B0HOOK123', user: undefined });
    expect(adaptAll([legacyBot])).toMatchObject([
      { type: 'chat.bot_replied', customerId: 'U0G9QF9C6' },
    ]);
    const {
      thread_ts: _thread,
      parent_user_id: _parent,
      ...topLevel
    } = recorded[2]?.event as {
      thread_ts: string;
      parent_user_id: string;
    };
    expect(adaptAll([{ ...recorded[2], event: topLevel }])).toEqual([]);
    // A reply to a thread the business started names no customer.
    expect(adaptAll([variant(7, { parent_user_id: 'U0AGENT71' })])).toEqual([]);
  });

  it('reads reactions by their emoji, and ignores reactions to oneself or to files', () => {
    const react = (reaction: string, event: object = {}) =>
      adaptAll([variant(8, { reaction, ...event })])[0];
    expect(react('-1')?.sentiment).toBe(-0.5);
    expect(react('rage')?.sentiment).toBe(-0.5);
    expect(react('eyes')).not.toHaveProperty('sentiment');
    expect(react('+1', { item_user: 'U0EXT4QX2' })).toBeUndefined();
    expect(react('+1', { item: { type: 'file', file: 'F0RDC39U1' } })).toBeUndefined();
  });

  it('records nothing for the endpoint check, rate-limit notices, edits and joins', () => {
    const [check] = recorded;
    expect(adaptAll([check, { type: 'app_rate_limited', team_id: 'T061EG9R6' }])).toEqual([]);
    expect(adaptAll([recorded[4], recorded[9]])).toEqual([]);
    for (const kind of ['constructor', '__proto__', 'team_join']) {
      expect(adaptAll([variant(1, { type: kind })])).toEqual([]);
    }
  });

  it('reports a malformed event at its fields', () => {
    const broken = variant(1, { ts: '1714555800', channel: undefined }, { event_id: '' });
    expect(pathsOf(slackAdapter.adapt(broken, CONTEXT)).sort()).toEqual([
      'event.channel',
      'event.ts',
      'event_id',
    ]);
  });
});
