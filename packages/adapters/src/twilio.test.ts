import { describe, expect, it } from 'vitest';
import recorded from './samples/twilio-webhooks.json' with { type: 'json' };
import { CONTEXT, eventsOf, issuesOf, pathsOf } from './testing.js';
import { twilioAdapter } from './twilio.js';

const [incomingSms, , sent, , , , , , inboundCall, missedCall] = recorded;

const SMS = { channel: 'sms', occurredAt: CONTEXT.receivedAt };
const CUSTOMER = '+15558675310';
const WITH_BUSINESS = `${CUSTOMER}|+15017122661`;

describe('twilioAdapter (Twilio Messaging and Voice webhooks)', () => {
  it('maps recorded webhooks to exactly these events, skipping statuses that say nothing', () => {
    expect(eventsOf(twilioAdapter.adapt(recorded, CONTEXT))).toEqual([
      {
        ...SMS,
        eventId: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
        customerId: CUSTOMER,
        type: 'sms.replied',
        direction: 'inbound',
        initiator: 'customer',
        threadId: WITH_BUSINESS,
        expectsResponse: true,
        properties: { network: 'sms' },
      },
      {
        ...SMS,
        eventId: 'SM9d3c1f2a7b6e5d4c3b2a19087f6e5d4c',
        customerId: CUSTOMER,
        type: 'sms.replied',
        direction: 'inbound',
        initiator: 'customer',
        threadId: `${CUSTOMER}|+14155238886`,
        expectsResponse: true,
        properties: { network: 'whatsapp' },
      },
      {
        ...SMS,
        eventId: 'SM3e7f2d1c0b9a8f7e6d5c4b3a29180f7e:sent',
        customerId: CUSTOMER,
        type: 'sms.sent',
        direction: 'outbound',
        threadId: WITH_BUSINESS,
        properties: { network: 'sms' },
      },
      {
        ...SMS,
        eventId: 'SM3e7f2d1c0b9a8f7e6d5c4b3a29180f7e:delivered',
        customerId: CUSTOMER,
        type: 'sms.delivered',
        direction: 'outbound',
        value: 0,
        properties: { network: 'sms' },
      },
      {
        ...SMS,
        eventId: 'SM5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d:read',
        customerId: CUSTOMER,
        type: 'sms.read',
        direction: 'inbound',
        initiator: 'business',
        properties: { network: 'whatsapp' },
      },
      {
        ...SMS,
        eventId: 'SM7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29:undelivered',
        customerId: '+15558670001',
        type: 'sms.failed',
        direction: 'outbound',
        value: 0,
        properties: { network: 'sms', errorCode: '30003' },
      },
      {
        ...SMS,
        eventId: 'SM0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e',
        customerId: '+15558670002',
        type: 'sms.unsubscribed',
        direction: 'inbound',
        initiator: 'customer',
        properties: { network: 'sms' },
      },
      {
        eventId: 'CAa1b2c3d4e5f60718293a4b5c6d7e8f90:completed',
        customerId: CUSTOMER,
        channel: 'phone',
        type: 'call.completed',
        direction: 'inbound',
        initiator: 'customer',
        // The callback's Timestamp (11:58:30) is the call's end; it began 185 s before.
        occurredAt: '2024-05-01T11:55:25.000Z',
        threadId: WITH_BUSINESS,
        properties: { durationSeconds: 185 },
      },
      {
        eventId: 'CAb2c3d4e5f60718293a4b5c6d7e8f90a1:no-answer',
        customerId: '+15558670003',
        channel: 'phone',
        type: 'call.missed',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T11:40:12.000Z',
        threadId: '+15558670003|+15017122661',
        expectsResponse: true,
        properties: { callStatus: 'no-answer' },
      },
      {
        // The business calling back answers the missed call: same conversation.
        eventId: 'CAc3d4e5f60718293a4b5c6d7e8f90a1b2:completed',
        customerId: '+15558670003',
        channel: 'phone',
        type: 'call.completed',
        direction: 'outbound',
        initiator: 'business',
        occurredAt: '2024-05-01T11:50:58.000Z',
        threadId: '+15558670003|+15017122661',
        properties: { durationSeconds: 62 },
      },
    ]);
  });

  it('makes START and HELP no request: Twilio answers those keywords itself', () => {
    const [event] = eventsOf(twilioAdapter.adapt({ ...incomingSms, OptOutType: 'HELP' }, CONTEXT));
    expect(event).toMatchObject({ type: 'sms.replied', properties: { keyword: 'HELP' } });
    expect(event).not.toHaveProperty('expectsResponse');
  });

  it('dates a call with an offset at its start in UTC', () => {
    const [event] = eventsOf(
      twilioAdapter.adapt(
        { ...inboundCall, Timestamp: 'Wed, 01 May 2024 13:58:30 +0200' },
        CONTEXT,
      ),
    );
    expect(event?.occurredAt).toBe('2024-05-01T11:55:25.000Z');
  });

  it('leaves out call legs reported elsewhere, forms of other products, and withheld callers', () => {
    for (const form of [
      { ...inboundCall, Direction: 'outbound-dial' },
      { ...missedCall, From: 'anonymous' },
      { CallSid: 'CAa1b2c3d4e5f60718293a4b5c6d7e8f90', RecordingStatus: 'completed' },
      { ...sent, MessageStatus: 'sending', SmsStatus: 'sending' },
    ]) {
      expect(eventsOf(twilioAdapter.adapt(form, CONTEXT))).toEqual([]);
    }
  });

  it('reports a malformed form at its fields, and a body that is no form at its root', () => {
    const result = twilioAdapter.adapt(
      [
        { ...incomingSms, MessageSid: '' },
        { ...inboundCall, Timestamp: '2024-05-01T11:58:30Z' },
        { ...inboundCall, CallDuration: '3.5' },
      ],
      CONTEXT,
    );
    expect(pathsOf(result)).toEqual(['0.MessageSid', '1.Timestamp', '2.CallDuration']);
    const [issue] = issuesOf(twilioAdapter.adapt('Body=hello', CONTEXT));
    expect(issue?.path).toBe('');
    expect(issue?.message).toMatch(/object/);
  });
});
