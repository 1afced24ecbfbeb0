import { describe, expect, it } from 'vitest';
import { mailgunAdapter } from './mailgun.js';
import routeReply from './samples/mailgun-route-reply.json' with { type: 'json' };
import webhooks from './samples/mailgun-webhooks.json' with { type: 'json' };
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

/** Mailgun posts one event per request; the recorded bodies are adapted one by one. */
const adaptEach = (bodies: readonly unknown[]) =>
  bodies.flatMap((body) => eventsOf(mailgunAdapter.adapt(body, CONTEXT)));

const DELIVERED = webhooks[1]!;

describe('mailgunAdapter (Mailgun webhooks and routes)', () => {
  it('maps the documented webhook payloads to exactly these events', () => {
    expect(adaptEach(webhooks)).toEqual([
      {
        eventId: 'hK7mQVt1QtqRiOfQXta4sw',
        customerId: 'john@example.com',
        channel: 'email',
        type: 'email.delivered',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2018-06-22T18:29:59.626Z',
        threadId: '20180622182958.1.48906CB188F1A454@exmple.org',
        properties: { messageId: '20180622182958.1.48906CB188F1A454@exmple.org' },
      },
      {
        eventId: '-laxIqj9QWubsjY_3pTq_g',
        customerId: 'recipient@example.com',
        channel: 'email',
        type: 'email.opened',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2013-08-21T01:09:03.042Z',
        threadId: '20130821005614.19826.35976@samples.mailgun.org',
        properties: {
          messageId: '20130821005614.19826.35976@samples.mailgun.org',
          machineOpen: false,
        },
      },
      {
        eventId: 'G5zMz2ysS6OxZ2C8xb2Tqg',
        customerId: 'recipient@example.com',
        channel: 'email',
        type: 'email.clicked',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2013-08-21T08:59:24.094Z',
        threadId: '20130821085807.30688.67706@samples.mailgun.org',
        properties: {
          messageId: '20130821085807.30688.67706@samples.mailgun.org',
          machineClick: false,
        },
      },
      {
        eventId: 'pl271FzxTTmGRW8Uj3dUWw',
        customerId: 'slava@mailgun.com',
        channel: 'email',
        type: 'email.bounced',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2018-06-22T21:12:49.818Z',
        value: 0,
        properties: {
          messageId: '20180622211249.1.2A6098970A380E12@example.org',
          bounceType: 'suppress-bounce',
          status: '605',
        },
      },
      {
        eventId: 'ZDMqRgjLTDi6rQcy7K60aA',
        customerId: 'christest123@test.com',
        channel: 'email',
        type: 'email.bounced',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2022-10-19T21:15:38.404Z',
        value: 0,
        properties: {
          messageId: '20221019211537.93011d31ea99c5a8@test.com',
          bounceType: 'generic',
          status: '5.1.1',
        },
      },
      {
        eventId: 'W3X4JOhFT-OZidZGKKr9iA',
        customerId: 'recipient@example.com',
        channel: 'email',
        type: 'email.unsubscribed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2013-08-22T23:23:11.421Z',
        threadId: '20130822232216.13966.79700@samples.mailgun.org',
        sentiment: -0.5,
        value: 0,
        properties: { messageId: '20130822232216.13966.79700@samples.mailgun.org' },
      },
      {
        eventId: 'ncV2XwymRUKbPek_MIM-Gw',
        customerId: 'foo@example.com',
        channel: 'email',
        type: 'email.spam_reported',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2013-08-22T23:31:00.049Z',
        threadId: '20130718032413.263EE2E0926@example.com',
        sentiment: -1,
        value: 0,
        properties: { messageId: '20130718032413.263EE2E0926@example.com' },
      },
    ]);
  });

  it('skips accepted and temporary failures: Mailgun is still trying', () => {
    const [accepted, , , , , temporary] = webhooks;
    expect(adaptEach([accepted, temporary])).toEqual([]);
  });

  it('takes the customer and thread the sender attached as user variables', () => {
    const body = {
      ...DELIVERED,
      'event-data': {
        ...DELIVERED['event-data'],
        tags: ['onboarding'],
        'user-variables': { customer_id: 42, thread_id: 'conv-7' },
      },
    };
    expect(adaptEach([body])).toMatchObject([
      { customerId: '42', threadId: 'conv-7', properties: { category: ['onboarding'] } },
    ]);
  });

  it('marks opens and clicks Mailgun saw a bot make', () => {
    const [, , opened] = webhooks;
    const body = {
      ...opened,
      'event-data': { ...opened!['event-data'], 'client-info': { bot: 'apple' } },
    };
    expect(adaptEach([body])[0]?.properties).toMatchObject({ machineOpen: true });
  });

  it('maps a message a route forwarded to a request on the conversation it answers', () => {
    expect(eventsOf(mailgunAdapter.adapt(routeReply, CONTEXT))).toEqual([
      {
        eventId: 'CAF=7Yq3kQ@mail.example.com',
        customerId: 'ada@example.com',
        channel: 'email',
        type: 'email.replied',
        direction: 'inbound',
        occurredAt: '2024-05-01T12:20:01.000Z',
        // The delivered message's Message-ID above: the reply joins its thread.
        threadId: '20180622182958.1.48906CB188F1A454@exmple.org',
        expectsResponse: true,
      },
    ]);
  });

  it('threads a forwarded message by the root of its References, else what it answers', () => {
    const withHeaders = (headers: [string, string][]) => ({
      ...routeReply,
      'message-headers': JSON.stringify([['Message-Id', '<r2@mail.example.com>'], ...headers]),
    });
    const threadOf = (headers: [string, string][]) =>
      eventsOf(mailgunAdapter.adapt(withHeaders(headers), CONTEXT))[0]?.threadId;
    expect(threadOf([['References', '<m1@mg.example.org> <r1@x> <m2@mg.example.org>']])).toBe(
      'm1@mg.example.org',
    );
    expect(threadOf([['In-Reply-To', '<m2@mg.example.org>']])).toBe('m2@mg.example.org');
    expect(threadOf([])).toBe('r2@mail.example.com');
  });

  it('ignores auto-replies and what Mailgun flagged as spam', () => {
    const headers = JSON.parse(routeReply['message-headers']) as [string, string][];
    for (const extra of [
      ['Auto-Submitted', 'auto-replied'],
      ['X-Mailgun-Sflag', 'Yes'],
    ]) {
      const body = { ...routeReply, 'message-headers': JSON.stringify([...headers, extra]) };
      expect(eventsOf(mailgunAdapter.adapt(body, CONTEXT))).toEqual([]);
    }
  });

  it('reports a bad payload at the field', () => {
    expect(
      pathsOf(
        mailgunAdapter.adapt(
          [
            { signature: {}, 'event-data': { ...DELIVERED['event-data'], timestamp: 'soon' } },
            { signature: {} },
            { ...routeReply, 'message-headers': '[["Subject", "no id"]]' },
            { ...routeReply, 'message-headers': '{' },
          ],
          CONTEXT,
        ),
      ),
    ).toEqual(['0.event-data.timestamp', '1.event-data', '2.message-headers', '3.message-headers']);
  });
});
