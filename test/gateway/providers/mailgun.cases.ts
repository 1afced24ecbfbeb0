import { createHmac, randomBytes } from 'node:crypto';
import routeReply from '../../../packages/adapters/src/samples/mailgun-route-reply.json' with { type: 'json' };
import webhooks from '../../../packages/adapters/src/samples/mailgun-webhooks.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Mailgun (`email` events). The signature travels in the body: a webhook's JSON carries
 * `signature: { timestamp, token, signature }` beside `event-data`, and a route's forwarded
 * message the form fields `timestamp`, `token` and `signature`; `signature` is the hex
 * HMAC-SHA256 of `timestamp` then `token` under the webhook signing key. Mailgun publishes no
 * library for it, so this signs by the documented formula; the scheme's unit test checks it
 * against the documentation's reference code.
 *
 * Mailgun signs the timestamp and token, not the event: a body changed outside the signature
 * still verifies, and is refused as a replay of its token (the replay key) once the genuine
 * request has arrived. `unsigned` removes the signature from the body.
 */

/** A fresh token per request, as Mailgun makes one: 50 characters. */
const token = () => randomBytes(25).toString('hex');

function signature(now: number, key: string) {
  const timestamp = String(Math.floor(now / 1000));
  const nonce = token();
  const digest = createHmac('sha256', key).update(`${timestamp}${nonce}`).digest('hex');
  return { timestamp, token: nonce, signature: digest };
}

/** The signing keys configured for the channel (current, next: a rotation), and one that is not. */
const SIGNERS = {
  current: 'mailgun-signing-key-current',
  next: 'mailgun-signing-key-next',
  wrong: 'mailgun-signing-key-wrong',
};

const channelConfig = () => ({ provider: 'mailgun', secrets: [SIGNERS.current, SIGNERS.next] });

/** The documented `delivered` event. */
const DELIVERED = webhooks[1]!['event-data'];

function webhook(now: number, key: string): ProviderRequest {
  const body = JSON.stringify({ signature: signature(now, key), 'event-data': DELIVERED });
  return { contentType: 'application/json', body, headers: {} };
}

/** A route's forwarded message, as the form Mailgun posts when it has no attachments. */
function forwarded(now: number, key: string): ProviderRequest {
  const { timestamp: _t, token: _k, signature: _s, ...fields } = routeReply;
  const form = new URLSearchParams({ ...fields, ...signature(now, key) });
  return { contentType: 'application/x-www-form-urlencoded', body: form.toString(), headers: {} };
}

const FIELDS = ['timestamp', 'token', 'signature'];

export const mailgunCases: readonly ProviderCase[] = [
  {
    provider: 'mailgun',
    // Its scheme does not cover the body (docs/channels.md): a changed byte is not caught.
    signsBody: false,
    channel: 'mailgun',
    channelConfig,
    signers: SIGNERS,
    request: ({ now, signer }) => webhook(now, signer),
    expected: [
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
    ],
    unsigned: (request) => {
      const { signature: _signature, ...body } = JSON.parse(String(request.body)) as Record<
        string,
        unknown
      >;
      return { ...request, body: JSON.stringify(body) };
    },
    toleranceMs: 300_000,
  },
  {
    provider: 'mailgun',
    // Its scheme does not cover the body (docs/channels.md): a changed byte is not caught.
    signsBody: false,
    channel: 'mailgun-inbound',
    channelConfig,
    signers: SIGNERS,
    request: ({ now, signer }) => forwarded(now, signer),
    expected: [
      {
        eventId: 'CAF=7Yq3kQ@mail.example.com',
        customerId: 'ada@example.com',
        channel: 'email',
        type: 'email.replied',
        direction: 'inbound',
        // `occurredAt` is the post's `timestamp`, the time it was signed: `now`, not fixed here.
        threadId: '20180622182958.1.48906CB188F1A454@exmple.org',
        expectsResponse: true,
      },
    ],
    unsigned: (request) => {
      const form = new URLSearchParams(String(request.body));
      for (const field of FIELDS) form.delete(field);
      return { ...request, body: form.toString() };
    },
    toleranceMs: 300_000,
  },
];
