import { describe, expect, it } from 'vitest';
import { metaAdapter } from './meta.js';
import instagram from './samples/meta-instagram.json' with { type: 'json' };
import page from './samples/meta-page.json' with { type: 'json' };
import whatsapp from './samples/meta-whatsapp.json' with { type: 'json' };
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

const PAGE = '109876543210987';
const ADA = '7201954361234567';
const DM_THREAD = `facebook:${PAGE}:${ADA}`;
const PRIVATE = { network: 'facebook', visibility: 'private' };
const PUBLIC = { network: 'facebook', visibility: 'public' };
const SOCIAL = { channel: 'social' };
const ASKED = 'm_AG5Hz2Uq7qDEtQu3fB9wKx1YzQZ3hK7pLmNoPqRsTuVwXyZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV';
const ECHOED = 'm_BH6Ia3Vr8rEFuRv4gC0xLy2ZaRA4iL8qMnOpQrStUvWxYzA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1vW';
const TAPPED = 'm_CI7Jb4Ws9sFGvSw5hD1yMz3AbSB5jM9rNoPqRsTuVwXyZaB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX';

/** The recorded page delivery's two entries, loosely typed for tampering. */
type Loose = Record<string, unknown>;
const [messaging, changes] = page.entry as unknown as [
  Loose & { messaging: Loose[] },
  Loose & { changes: (Loose & { value: Loose })[] },
];
const [asked, , reacted] = messaging.messaging;
const [comment] = changes.changes;

describe('metaAdapter: Facebook Page webhooks', () => {
  it('maps a recorded delivery to exactly these events, skipping what names no customer', () => {
    expect(eventsOf(metaAdapter.adapt(page, CONTEXT))).toEqual([
      {
        ...SOCIAL,
        eventId: ASKED,
        customerId: `facebook:${ADA}`,
        type: 'social.direct_message',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:00.000Z',
        threadId: DM_THREAD,
        expectsResponse: true,
        properties: PRIVATE,
      },
      {
        // The page's own answer (an echo), on the same thread: it answers the request.
        ...SOCIAL,
        eventId: ECHOED,
        customerId: `facebook:${ADA}`,
        type: 'social.direct_message',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:40:00.000Z',
        threadId: DM_THREAD,
        properties: PRIVATE,
      },
      {
        ...SOCIAL,
        eventId: `${ECHOED}:reaction:${ADA}`,
        customerId: `facebook:${ADA}`,
        type: 'social.reacted',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:41:00.000Z',
        threadId: DM_THREAD,
        properties: { ...PRIVATE, reaction: 'love' },
      },
      {
        ...SOCIAL,
        eventId: TAPPED,
        customerId: 'facebook:7209876543210001',
        type: 'social.direct_message',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:50:00.000Z',
        threadId: `facebook:${PAGE}:7209876543210001`,
        expectsResponse: true,
        properties: { ...PRIVATE, kind: 'postback' },
      },
      {
        ...SOCIAL,
        eventId: '822334455667788_1029384756',
        customerId: 'facebook:24601234567890123',
        type: 'social.reply',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T10:00:00.000Z',
        threadId: '109876543210987_822334455667788',
        properties: PUBLIC,
      },
      {
        ...SOCIAL,
        eventId: '109876543210987_822334455667788:reaction:24609876543210987',
        customerId: 'facebook:24609876543210987',
        type: 'social.reacted',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T10:03:20.000Z',
        properties: { ...PUBLIC, reaction: 'like' },
      },
      {
        ...SOCIAL,
        eventId: '109876543210987_833445566778899',
        customerId: 'facebook:24605555555555555',
        type: 'social.mention',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T10:05:00.000Z',
        properties: PUBLIC,
      },
      {
        // A mention carries no time of its own: the entry's.
        ...SOCIAL,
        eventId: '24607777777777777_844556677889900',
        customerId: 'facebook:24607777777777777',
        type: 'social.mention',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T10:06:40.000Z',
        properties: PUBLIC,
      },
    ]);
  });

  it('reads messages held in standby by another app like any other', () => {
    const { messaging: items, ...entry } = messaging;
    const standby = { object: 'page', entry: [{ ...entry, standby: items }] };
    expect(eventsOf(metaAdapter.adapt(standby, CONTEXT))).toEqual(
      eventsOf(metaAdapter.adapt({ object: 'page', entry: [messaging] }, CONTEXT)),
    );
  });

  it('leaves out a comment whose author Meta withholds, and an unreaction', () => {
    const { from: _from, ...anonymous } = comment?.value ?? {};
    const unreacted = { ...reacted, reaction: { mid: ECHOED, action: 'unreact' } };
    const body = {
      object: 'page',
      entry: [
        { ...changes, changes: [{ field: 'feed', value: anonymous }] },
        { ...messaging, messaging: [unreacted] },
      ],
    };
    expect(eventsOf(metaAdapter.adapt(body, CONTEXT))).toEqual([]);
  });

  it('reports a malformed item at its place in the envelope', () => {
    const body = {
      object: 'page',
      entry: [
        { ...messaging, messaging: [{ ...asked, timestamp: 'yesterday' }] },
        { ...changes, changes: [{ ...comment, value: { ...comment?.value, comment_id: '' } }] },
        { id: PAGE },
      ],
    };
    expect(pathsOf(metaAdapter.adapt(body, CONTEXT))).toEqual([
      'entry.0.messaging.0.timestamp',
      'entry.1.changes.0.value.comment_id',
      'entry.2.time',
    ]);
    expect(pathsOf(metaAdapter.adapt({ entry: [] }, CONTEXT))).toEqual(['object']);
  });

  it('produces nothing for objects it does not adapt, whatever they are called', () => {
    for (const object of ['user', 'permissions', 'constructor']) {
      expect(eventsOf(metaAdapter.adapt({ ...page, object }, CONTEXT))).toEqual([]);
    }
  });
});

describe('metaAdapter: Instagram webhooks', () => {
  it('maps direct messages and comments, not the account’s own replies nor bare mentions', () => {
    const instagramUser = '6543210987654321';
    expect(eventsOf(metaAdapter.adapt(instagram, CONTEXT))).toEqual([
      {
        ...SOCIAL,
        eventId:
          'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAxOjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTkzODk4MDA4NDIyOTg1Nw',
        customerId: `instagram:${instagramUser}`,
        type: 'social.direct_message',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:31:30.000Z',
        threadId: `instagram:17841400000000001:${instagramUser}`,
        expectsResponse: true,
        properties: { network: 'instagram', visibility: 'private' },
      },
      {
        ...SOCIAL,
        eventId: '17865799348089039',
        customerId: 'instagram:6601234567890123',
        type: 'social.reply',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:50:00.000Z',
        threadId: '17900000000000001',
        properties: { network: 'instagram', visibility: 'public' },
      },
    ]);
  });
});

describe('metaAdapter: WhatsApp Cloud API webhooks', () => {
  const customer = '+16505551234';
  const thread = `${customer}|+15550783881`;
  const sentId = 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQ0RDMwQjYxQkMxNUQ5OTUA';
  const SMS = { channel: 'sms', customerId: customer, properties: { network: 'whatsapp' } };

  it('maps messages and statuses as texts, like Twilio’s WhatsApp, skipping reactions', () => {
    expect(eventsOf(metaAdapter.adapt(whatsapp, CONTEXT))).toEqual([
      {
        ...SMS,
        eventId: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdCNTg5RjY1MUM5Q0U2QjZFQQA=',
        type: 'sms.replied',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:00.000Z',
        threadId: thread,
        expectsResponse: true,
      },
      {
        ...SMS,
        eventId: `${sentId}:sent`,
        type: 'sms.sent',
        direction: 'outbound',
        occurredAt: '2024-05-01T09:35:00.000Z',
        threadId: thread,
      },
      {
        ...SMS,
        eventId: `${sentId}:delivered`,
        type: 'sms.delivered',
        direction: 'outbound',
        value: 0,
        occurredAt: '2024-05-01T09:35:02.000Z',
      },
      {
        ...SMS,
        eventId: `${sentId}:read`,
        type: 'sms.read',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2024-05-01T09:36:40.000Z',
      },
      {
        ...SMS,
        eventId: 'wamid.HBgLMTY1MDU1NTk4NzYVAgARGBJGNzEyQzQ5RTYxQzQ4RTFBMTAA:failed',
        customerId: '+16505559876',
        type: 'sms.failed',
        direction: 'outbound',
        value: 0,
        occurredAt: '2024-05-01T09:38:20.000Z',
        properties: { network: 'whatsapp', errorCode: '131026' },
      },
    ]);
  });

  it('reports a malformed number or time at its place', () => {
    const text = { id: 'wamid.1', type: 'text', text: { body: 'hi' } };
    const value = {
      metadata: { display_phone_number: '15550783881' },
      messages: [{ ...text, from: 'ada', timestamp: '17e8' }],
    };
    const body = { ...whatsapp, entry: [{ id: '1', changes: [{ field: 'messages', value }] }] };
    expect(pathsOf(metaAdapter.adapt(body, CONTEXT))).toEqual([
      'entry.0.changes.0.value.messages.0.from',
      'entry.0.changes.0.value.messages.0.timestamp',
    ]);
  });
});
