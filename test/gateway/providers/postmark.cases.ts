import inbound from '../../../packages/adapters/src/samples/postmark-inbound.json' with { type: 'json' };
import webhooks from '../../../packages/adapters/src/samples/postmark-webhooks.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Postmark (`email` events) signs nothing: each webhook carries the HTTP Basic credentials of the
 * URL it was given (`https://<username>:<password>@…`), which is what an HTTP client sends for
 * such a URL. A signer here is `username:password`; the channel holds two pairs (a rotation).
 * Without a timestamp there is no tolerance: a replay carries event ids already seen.
 */

/** The pairs configured for the channel (current, next: a rotation), and a pair that is not. */
const SIGNERS = {
  current: 'postmark:current-webhook-password',
  next: 'postmark-next:next-webhook-password',
  wrong: 'postmark:not-the-password',
};

const pair = (signer: string) => {
  const colon = signer.indexOf(':');
  return { username: signer.slice(0, colon), password: signer.slice(colon + 1) };
};

const channelConfig = () => ({
  provider: 'postmark',
  credentials: [pair(SIGNERS.current), pair(SIGNERS.next)],
});

function authorized(body: unknown, signer: string): ProviderRequest {
  return {
    contentType: 'application/json',
    body: JSON.stringify(body),
    headers: { authorization: `Basic ${Buffer.from(signer).toString('base64')}` },
  };
}

const unsigned = ({
  headers: { authorization: _authorization, ...headers },
  ...request
}: ProviderRequest): ProviderRequest => ({ ...request, headers });

/** The documented Open webhook. */
const OPEN = webhooks[1];
const MESSAGE = '883953f4-6105-42a2-a16a-77a8eac79483';

export const postmarkCases: readonly ProviderCase[] = [
  {
    provider: 'postmark',
    // Its scheme does not cover the body (docs/channels.md): a changed byte is not caught.
    signsBody: false,
    channel: 'postmark',
    channelConfig,
    signers: SIGNERS,
    request: ({ signer }) => authorized(OPEN, signer),
    expected: [
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
    ],
    unsigned,
  },
  {
    provider: 'postmark',
    // Its scheme does not cover the body (docs/channels.md): a changed byte is not caught.
    signsBody: false,
    channel: 'postmark-inbound',
    channelConfig,
    signers: SIGNERS,
    request: ({ signer }) => authorized(inbound, signer),
    expected: [
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
    ],
    unsigned,
  },
];
