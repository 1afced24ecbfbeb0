import { describe, expect, it } from 'vitest';
import { emailAdapter } from './email.js';
import inboundReply from './samples/email-inbound-reply.json' with { type: 'json' };
import sendGridEvents from './samples/sendgrid-events.json' with { type: 'json' };
import { CONTEXT, eventsOf, issuesOf, pathsOf } from './testing.js';

const MESSAGE = '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0';
const NEWSLETTER = '14c5d75ce96.dfd.64b469.filter0001.16648.5515E0B88.0';

describe('emailAdapter (SendGrid Event Webhook)', () => {
  it('maps a recorded batch to exactly these events, skipping processed and deferred', () => {
    expect(eventsOf(emailAdapter.adapt(sendGridEvents, CONTEXT))).toEqual([
      {
        eventId: 'rWVYmVk90MjZJ9iohOBa3w==',
        customerId: 'cus_42',
        channel: 'email',
        type: 'email.delivered',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2024-05-01T09:30:05.000Z',
        properties: { messageId: MESSAGE, category: 'onboarding' },
      },
      {
        eventId: 'FOTFFO0ecsBE-zxFXfs6WA==',
        customerId: 'cus_42',
        channel: 'email',
        type: 'email.opened',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2024-05-01T10:30:00.000Z',
        properties: { messageId: MESSAGE, category: 'onboarding', machineOpen: false },
      },
      {
        eventId: 'kCAi1KttyQdEKHhdC-nuEA==',
        customerId: 'cus_42',
        channel: 'email',
        type: 'email.clicked',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2024-05-01T10:31:00.000Z',
        properties: { messageId: MESSAGE, category: ['onboarding', 'week-1'] },
      },
      {
        eventId: '6g4ZI7SA-xmRDv57GoPIPw==',
        customerId: 'grace@example.com',
        channel: 'email',
        type: 'email.bounced',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2024-05-01T09:30:06.000Z',
        value: 0,
        properties: {
          messageId: '14c5d75ce94.dfd.64b469.filter0001.16648.5515E0B88.0',
          bounceType: 'blocked',
          status: '5.0.0',
        },
      },
      {
        eventId: 'zmzJhfJgAfUSOW80yEbPyw==',
        customerId: 'old@example.com',
        channel: 'email',
        type: 'email.bounced',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2024-05-01T09:30:07.000Z',
        value: 0,
        properties: {
          messageId: '14c5d75ce95.dfd.64b469.filter0001.16648.5515E0B88.0',
          category: 'newsletter',
          bounceType: 'dropped',
          status: '5.0.0',
        },
      },
      {
        eventId: 'zZ4l3dlR8V1sDEQ3Ztt5Kw==',
        customerId: 'usr_7',
        channel: 'email',
        type: 'email.unsubscribed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T11:20:00.000Z',
        sentiment: -0.5,
        value: 0,
        properties: { messageId: NEWSLETTER, category: 'newsletter' },
      },
      {
        eventId: 'ahSCB7xYcXFb-hEaawsPRw==',
        customerId: 'usr_7',
        channel: 'email',
        type: 'email.unsubscribed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T11:21:00.000Z',
        sentiment: -0.5,
        value: 0,
        properties: { messageId: NEWSLETTER, category: 'newsletter', groupId: 10 },
      },
      {
        eventId: '37nvH5QBz858KGVYCM5Wzg==',
        customerId: 'usr_7',
        channel: 'email',
        type: 'email.spam_reported',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T11:22:00.000Z',
        sentiment: -1,
        value: 0,
        properties: { messageId: NEWSLETTER, category: 'newsletter' },
      },
    ]);
  });

  it('maps a resubscribe to a group as the mirror of an unsubscribe', () => {
    // SendGrid's documented group_resubscribe event.
    const resubscribed = {
      email: 'example@test.com',
      timestamp: 1513299569,
      'smtp-id': '<14c5d75ce93.dfd.64b469@ismtpd-555>',
      event: 'group_resubscribe',
      category: 'cat facts',
      sg_event_id: 'sg_event_id',
      sg_message_id: 'sg_message_id',
      useragent: 'Mozilla/5.0 (Windows NT 5.1) AppleWebKit/537.36',
      ip: '255.255.255.255',
      url: 'http://www.sendgrid.com/',
      asm_group_id: 10,
    };
    expect(eventsOf(emailAdapter.adapt([resubscribed], CONTEXT))).toEqual([
      {
        eventId: 'sg_event_id',
        customerId: 'example@test.com',
        channel: 'email',
        type: 'email.resubscribed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2017-12-15T00:59:29.000Z',
        sentiment: 0.5,
        value: 0,
        properties: { messageId: 'sg_message_id', category: 'cat facts', groupId: 10 },
      },
    ]);
  });

  it('maps an inbound reply to a request on the thread it answers', () => {
    expect(eventsOf(emailAdapter.adapt(inboundReply, CONTEXT))).toEqual([
      {
        eventId: '<CAF=7Yq3kQ@mail.example.com>',
        customerId: 'cus_42',
        channel: 'email',
        type: 'email.replied',
        direction: 'inbound',
        occurredAt: '2024-05-01T12:20:00.000Z',
        threadId: '<14c5d75ce93.dfd.64b469@ismtpd-555>',
        expectsResponse: true,
      },
    ]);
  });

  it('threads a reply to nothing known on itself', () => {
    const [event] = eventsOf(
      emailAdapter.adapt({ ...inboundReply, in_reply_to: undefined }, CONTEXT),
    );
    expect(event?.threadId).toBe('<CAF=7Yq3kQ@mail.example.com>');
  });

  it('reports every bad event in a batch at its index and field', () => {
    const result = emailAdapter.adapt(
      [
        { event: 'delivered', email: 'a@example.com', timestamp: 1714555805, sg_event_id: 'e1' },
        { event: 'open', email: 'a@example.com', timestamp: 'yesterday', sg_event_id: 'e2' },
        { event: 'click', timestamp: 1714555805, sg_event_id: 'e3' },
        { email: 'a@example.com' },
        { event: 'bounce', email: 'a@example.com', timestamp: 9e12, sg_event_id: 'e4' },
      ],
      CONTEXT,
    );
    expect(pathsOf(result)).toEqual(['1.timestamp', '2.email', '3.event', '4.timestamp']);
    expect(issuesOf(result)[3]?.message).toBe('expected unix seconds from 1970 to 2100');
  });

  it('refuses a body that is not an event', () => {
    expect(pathsOf(emailAdapter.adapt('nope', CONTEXT))).toEqual(['']);
  });
});
