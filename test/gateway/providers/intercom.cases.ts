import { createHmac } from 'node:crypto';
import recorded from '../../../packages/adapters/src/samples/intercom-conversation-webhooks.json' with { type: 'json' };
import type { ProviderCase } from './cases.js';

/**
 * Intercom's conversation webhooks (`chat` events): `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the
 * raw body>` under the app's client secret. Intercom publishes no library, so this signs by its
 * documented construction. No timestamp is signed, so there is no tolerance to test.
 *
 * Not expressible here: Intercom checks an endpoint with an unsigned `HEAD` request before it
 * saves it, which must answer 200; `ProviderRequest` has no `HEAD`.
 */

const SIGNATURE = 'x-hub-signature';

/** The customer starting the conversation, as recorded from Intercom's docs. */
const [started] = recorded;
const BODY = JSON.stringify(started);

/** The secrets configured for the channel (current, next: a rotation), and one that is not. */
const SIGNERS = {
  current: 'intercom-client-secret-current',
  next: 'intercom-client-secret-next',
  wrong: 'intercom-client-secret-wrong',
};

export const intercomCases: readonly ProviderCase[] = [
  {
    provider: 'intercom',
    channel: 'intercom',
    channelConfig: () => ({ provider: 'intercom', secrets: [SIGNERS.current, SIGNERS.next] }),
    signers: SIGNERS,
    request: ({ signer }) => ({
      contentType: 'application/json',
      body: BODY,
      headers: { [SIGNATURE]: `sha1=${createHmac('sha1', signer).update(BODY).digest('hex')}` },
    }),
    expected: [
      {
        eventId: 'notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3',
        customerId: 'cus_42',
        channel: 'chat',
        type: 'chat.conversation_started',
        direction: 'inbound',
        initiator: 'customer',
        occurredAt: '2024-05-01T09:30:01.000Z',
        threadId: '1295',
        expectsResponse: true,
      },
    ],
    unsigned: ({ headers: { [SIGNATURE]: _signature, ...headers }, ...request }) => ({
      ...request,
      headers,
    }),
  },
];
