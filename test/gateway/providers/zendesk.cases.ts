import { createHmac } from 'node:crypto';
import recorded from '../../../packages/adapters/src/samples/zendesk-ticket-events.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Zendesk's event webhooks (`support` events): `X-Zendesk-Webhook-Signature` is the base64
 * HMAC-SHA256 of `X-Zendesk-Webhook-Signature-Timestamp` (RFC 3339, to the second, as Zendesk
 * sends it) followed by the raw body, under the webhook's signing secret. Zendesk publishes no
 * library, so this signs by its documented formula; the scheme's unit test checks that formula
 * against the docs' worked example.
 */

const SIGNATURE = 'x-zendesk-webhook-signature';
const TIMESTAMP = 'x-zendesk-webhook-signature-timestamp';

/** The ticket's creation, as recorded from Zendesk's docs. */
const [created] = recorded;
const BODY = JSON.stringify(created);

function signed(body: string, now: number, secret: string): ProviderRequest {
  const timestamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const signature = createHmac('sha256', secret).update(`${timestamp}${body}`).digest('base64');
  return {
    contentType: 'application/json',
    body,
    headers: { [SIGNATURE]: signature, [TIMESTAMP]: timestamp },
  };
}

/** The secrets configured for the channel (current, next: a rotation), and one that is not. */
const SIGNERS = {
  current: 'zendesk-signing-secret-current',
  next: 'zendesk-signing-secret-next',
  wrong: 'zendesk-signing-secret-wrong',
};

export const zendeskCases: readonly ProviderCase[] = [
  {
    provider: 'zendesk',
    channel: 'zendesk',
    channelConfig: () => ({ provider: 'zendesk', secrets: [SIGNERS.current, SIGNERS.next] }),
    signers: SIGNERS,
    request: ({ now, signer }) => signed(BODY, now, signer),
    expected: [
      {
        eventId: 'cbe4028c-7239-495d-b020-f22348516046',
        customerId: '8447388090494',
        channel: 'support',
        type: 'support.ticket_opened',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:00Z',
        threadId: '5158',
        expectsResponse: true,
        properties: { via: 'web_form' },
      },
    ],
    unsigned: ({
      headers: { [SIGNATURE]: _signature, [TIMESTAMP]: _timestamp, ...headers },
      ...request
    }) => ({
      ...request,
      headers,
    }),
    toleranceMs: 300_000,
  },
];
