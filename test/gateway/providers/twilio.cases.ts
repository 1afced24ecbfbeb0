import twilio from 'twilio';
import recorded from '../../../packages/adapters/src/samples/twilio-webhooks.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Twilio's webhooks, signed by Twilio's own library (`getExpectedTwilioSignature`): a form post of
 * string values, `X-Twilio-Signature` over the URL and the sorted parameters.
 *
 * Twilio signs the URL pasted into its console, which is the channel's configured `url`; these
 * cases configure a public URL and sign it, whatever address the suite sends the request to, as
 * a gateway behind a proxy or load balancer sees it. (`channelConfig()` is not given the suite's
 * URL, so the configured one cannot be it.)
 */

const PUBLIC_URL = 'https://rapport.example.com/v1/channels/twilio';
const SIGNATURE = 'x-twilio-signature';

const [incomingSms, , , , , , , , completedCall] = recorded;

const signers = {
  current: 'b7c1e0a4d5f6071829304a5b6c7d8e9f',
  next: '0f9e8d7c6b5a49382716f5e4d3c2b1a0',
  wrong: 'ffffffffffffffffffffffffffffffff',
};

function twilioCase(
  form: Readonly<Record<string, string>>,
  expected: readonly Record<string, unknown>[],
): ProviderCase {
  return {
    provider: 'twilio',
    channel: 'twilio',
    channelConfig: () => ({
      provider: 'twilio',
      secrets: [signers.current, signers.next],
      url: PUBLIC_URL,
    }),
    signers,
    request: ({ signer }): ProviderRequest => ({
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams(form).toString(),
      headers: { [SIGNATURE]: twilio.getExpectedTwilioSignature(signer, PUBLIC_URL, form) },
    }),
    expected,
    unsigned: ({ headers, ...request }) => ({
      ...request,
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => name !== SIGNATURE)),
    }),
  };
}

const CUSTOMER = '+15558675310';
const CONVERSATION = `${CUSTOMER}|+15017122661`;

export const twilioCases: readonly ProviderCase[] = [
  // An incoming SMS: the customer asks; dated when the gateway received it (Twilio sends no time).
  twilioCase(incomingSms ?? {}, [
    {
      eventId: 'SM1f0e8ae6ade43cb3c0ce4525424e404f',
      customerId: CUSTOMER,
      channel: 'sms',
      type: 'sms.replied',
      direction: 'inbound',
      initiator: 'customer',
      threadId: CONVERSATION,
      expectsResponse: true,
      properties: { network: 'sms' },
    },
  ]),
  // A Voice status callback: a completed inbound call, dated at its start.
  twilioCase(completedCall ?? {}, [
    {
      eventId: 'CAa1b2c3d4e5f60718293a4b5c6d7e8f90:completed',
      customerId: CUSTOMER,
      channel: 'phone',
      type: 'call.completed',
      direction: 'inbound',
      initiator: 'customer',
      occurredAt: '2024-05-01T11:55:25.000Z',
      threadId: CONVERSATION,
      properties: { durationSeconds: 185 },
    },
  ]),
];
