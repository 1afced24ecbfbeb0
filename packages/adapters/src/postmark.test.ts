import { describe, expect, it } from 'vitest';
import { postmarkAdapter } from './postmark.js';
import inbound from './samples/postmark-inbound.json' with { type: 'json' };
import webhooks from './samples/postmark-webhooks.json' with { type: 'json' };
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

const [delivery, open, click, bounce, , subscriptionChange] = webhooks;
const adapt = (body: unknown) => eventsOf(postmarkAdapter.adapt(body, CONTEXT));
const MESSAGE = '883953f4-6105-42a2-a16a-77a8eac79483';
const ZEROS = '00000000-0000-0000-0000-000000000000';

describe('postmarkAdapter (Postmark webhooks and inbound messages)', () => {
  it('maps the documented webhook payloads to exactly these events', () => {
    expect(adapt(webhooks)).toEqual([
      {
        eventId: `delivery:${MESSAGE}:john@example.com`,
        customerId: 'john@example.com',
        channel: 'email',
        type: 'email.delivered',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2019-11-05T16:33:54.9070259Z',
        threadId: MESSAGE,
        properties: { messageId: MESSAGE, category: 'welcome-email' },
      },
      {
        eventId: `open:${MESSAGE}:john@example.com:2019-11-05T16:33:54.9070259Z`,
        customerId: 'john@example.com',
        channel: 'email',
        type: 'email.opened',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2019-11-05T16:33:54.9070259Z',
        threadId: MESSAGE,
        properties: { messageId: MESSAGE, category: 'welcome-email', firstOpen: true },
      },
      {
        eventId: `click:${ZEROS}:john@example.com:2017-10-25T15:21:11.9065619Z`,
        customerId: 'john@example.com',
        channel: 'email',
        type: 'email.clicked',
        direction: 'inbound',
        initiator: 'business',
        occurredAt: '2017-10-25T15:21:11.9065619Z',
        threadId: ZEROS,
        properties: { messageId: ZEROS, category: 'welcome-email' },
      },
      {
        eventId: `bounce:${MESSAGE}:john@example.com`,
        customerId: 'john@example.com',
        channel: 'email',
        type: 'email.bounced',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2019-11-05T16:33:54.9070259Z',
        value: 0,
        properties: {
          messageId: MESSAGE,
          category: 'Test',
          bounceType: 'HardBounce',
          inactive: true,
        },
      },
      {
        eventId: `spamcomplaint:${ZEROS}:john@example.com`,
        customerId: 'john@example.com',
        channel: 'email',
        type: 'email.spam_reported',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2019-11-05T16:33:54.9070259Z',
        threadId: ZEROS,
        sentiment: -1,
        value: 0,
        properties: { messageId: ZEROS, category: 'Test' },
      },
      // The documented SubscriptionChange suppresses a hard bounce: the Bounce webhook says so.
    ]);
  });

  it('reads the bounce types that are no failure for what they are', () => {
    const typed = (Type: string) => ({ ...bounce, Type });
    expect(adapt(['Unsubscribe', 'Subscribe', 'SpamComplaint'].map(typed))).toMatchObject([
      { type: 'email.unsubscribed', eventId: `unsubscribe:${MESSAGE}:john@example.com` },
      { type: 'email.resubscribed', sentiment: 0.5 },
      { type: 'email.spam_reported', eventId: `spamcomplaint:${MESSAGE}:john@example.com` },
    ]);
    const ignored = ['Transient', 'AutoResponder', 'AddressChange', 'TemplateRenderingFailed'];
    expect(adapt(ignored.map(typed))).toEqual([]);
  });

  it('counts the subscription changes the recipient made', () => {
    const change = (fields: Record<string, unknown>) => ({ ...subscriptionChange, ...fields });
    expect(
      adapt([
        change({ SuppressionReason: 'ManualSuppression' }),
        change({ SuppressSending: false, MessageID: null, Tag: null, Metadata: {} }),
        change({ SuppressionReason: 'ManualSuppression', Origin: 'Customer' }),
        change({ SuppressionReason: 'SpamComplaint' }),
      ]),
    ).toEqual([
      {
        eventId: `unsubscribe:${MESSAGE}:bounced-address@example.com`,
        customerId: 'bounced-address@example.com',
        channel: 'email',
        type: 'email.unsubscribed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2020-02-01T10:53:34.416071Z',
        threadId: MESSAGE,
        sentiment: -0.5,
        value: 0,
        properties: { messageId: MESSAGE, category: 'my-tag' },
      },
      {
        // No message caused a reactivation: its time tells it from the next one.
        eventId: 'subscribe:bounced-address@example.com:2020-02-01T10:53:34.416071Z',
        customerId: 'bounced-address@example.com',
        channel: 'email',
        type: 'email.resubscribed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2020-02-01T10:53:34.416071Z',
        sentiment: 0.5,
        value: 0,
      },
    ]);
  });

  it('takes the customer and thread the sender attached as metadata', () => {
    const tagged = { ...delivery, Metadata: { customer_id: 43, thread_id: 'conv-7' } };
    expect(adapt(tagged)).toMatchObject([{ customerId: '43', threadId: 'conv-7' }]);
  });

  it('maps the documented inbound message to a request on its mailbox hash', () => {
    expect(adapt(inbound)).toEqual([
      {
        eventId: '73e6d360-66eb-11e1-8e72-a8904824019b',
        customerId: 'support@postmarkapp.com',
        channel: 'email',
        type: 'email.replied',
        direction: 'inbound',
        occurredAt: '2014-08-01T20:45:32.000Z',
        threadId: 'SampleHash',
        expectsResponse: true,
      },
    ]);
  });

  it('threads an inbound message without a hash by its conversation', () => {
    const reply = {
      ...inbound,
      MailboxHash: '',
      Headers: [
        { Name: 'Message-ID', Value: '<r2@mail.example.com>' },
        { Name: 'In-Reply-To', Value: '<m2@example.org>' },
        { Name: 'References', Value: '<m1@example.org>\r\n <m2@example.org>' },
      ],
    };
    expect(adapt(reply)[0]?.threadId).toBe('m1@example.org');
    expect(adapt({ ...reply, Headers: [] })[0]?.threadId).toBe(inbound.MessageID);
  });

  it('dates an inbound message no later than it was received', () => {
    const ahead = { ...inbound, Date: 'Wed, 1 May 2024 14:30:00 +0200' };
    expect(adapt(ahead)[0]?.occurredAt).toBe(CONTEXT.receivedAt);
  });

  it('ignores auto-replies and spam', () => {
    const withHeader = (Name: string, Value: string) => ({
      ...inbound,
      Headers: [...inbound.Headers, { Name, Value }],
    });
    expect(
      adapt([
        withHeader('Auto-Submitted', 'auto-replied'),
        { ...inbound, Headers: [{ Name: 'X-Spam-Status', Value: 'Yes, score=6.2' }] },
      ]),
    ).toEqual([]);
  });

  it('reports a bad payload at the field', () => {
    expect(
      pathsOf(
        postmarkAdapter.adapt(
          [
            { ...delivery, DeliveredAt: '2019-11-05 16:33' },
            { ...open, Recipient: '' },
            { ...inbound, Date: 'Fri, 1 Aug 2014 16:45:32' },
            { Subject: 'neither' },
          ],
          CONTEXT,
        ),
      ),
    ).toEqual(['0.DeliveredAt', '1.Recipient', '2.Date', '3.RecordType']);
    expect(pathsOf(postmarkAdapter.adapt({ ...click, ReceivedAt: 7 }, CONTEXT))).toEqual([
      'ReceivedAt',
    ]);
  });
});
