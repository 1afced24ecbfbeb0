import { createHmac } from 'node:crypto';
import recorded from '../../../packages/adapters/src/samples/slack-events.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Slack's Events API (`chat` events): `X-Slack-Signature: v0=<hex HMAC-SHA256 of
 * "v0:<X-Slack-Request-Timestamp>:<raw body>">` under the app's signing secret, fresh for 5
 * minutes. Slack's libraries verify but do not sign, so this signs by the documented formula; the
 * scheme's unit test checks it both ways against `verifySlackRequest` from @slack/bolt.
 */

const SIGNATURE = 'x-slack-signature';
const TIMESTAMP = 'x-slack-request-timestamp';

/** Slack's endpoint check, then a customer's direct message to the app, recorded from Slack's docs. */
const [check, directMessage] = recorded;
const CHECK = JSON.stringify(check);
const BODY = JSON.stringify(directMessage);

function signed(body: string, now: number, secret: string): ProviderRequest {
  const timestamp = String(Math.floor(now / 1000));
  const digest = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    contentType: 'application/json',
    body,
    headers: { [SIGNATURE]: `v0=${digest}`, [TIMESTAMP]: timestamp },
  };
}

/** The secrets configured for the channel (current, next: a rotation), and one that is not. */
const SIGNERS = {
  current: 'slack-signing-secret-current',
  next: 'slack-signing-secret-next',
  wrong: 'slack-signing-secret-wrong',
};

export const slackCases: readonly ProviderCase[] = [
  {
    provider: 'slack',
    channel: 'slack',
    channelConfig: () => ({ provider: 'slack', secrets: [SIGNERS.current, SIGNERS.next] }),
    signers: SIGNERS,
    request: ({ now, signer }) => signed(BODY, now, signer),
    expected: [
      {
        eventId: 'Ev0PV52K21',
        customerId: 'U0G9QF9C6',
        channel: 'chat',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:00.000Z',
        threadId: '1714555800.000100',
        expectsResponse: true,
        properties: { channel: 'D0PNCRP9N', channelType: 'im' },
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
    handshake: {
      request: ({ now, signer }) => signed(CHECK, now, signer),
      status: 200,
      body: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    },
  },
];
