import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import sendgrid from '@sendgrid/eventwebhook';
import recorded from '../../../packages/adapters/src/samples/sendgrid-events.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * SendGrid's Signed Event Webhook (`email` events): `X-Twilio-Email-Event-Webhook-Signature` is
 * the base64 ECDSA P-256 signature (SHA-256, DER) of `X-Twilio-Email-Event-Webhook-Timestamp`
 * followed by the raw body, by SendGrid's private key; the channel holds the public key as
 * SendGrid's console shows it. SendGrid's library verifies but does not sign, so this signs with
 * node:crypto as SendGrid documents and checks every request it makes with
 * `EventWebhook.verifySignature` from @sendgrid/eventwebhook, so that what the gateway is shown
 * is what SendGrid's own code accepts.
 */

const { EventWebhook, EventWebhookHeader } = sendgrid;
const SIGNATURE = EventWebhookHeader.SIGNATURE().toLowerCase();
const TIMESTAMP = EventWebhookHeader.TIMESTAMP().toLowerCase();

/** A private key as PEM: the signer; its public half is what SendGrid's console shows. */
const privateKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ format: 'pem', type: 'pkcs8' })
    .toString();
const shown = (pem: string) =>
  createPublicKey(pem).export({ format: 'der', type: 'spki' }).toString('base64');

/** The keys configured for the channel (current, next: a rotation), and one that is not. */
const SIGNERS = { current: privateKey(), next: privateKey(), wrong: privateKey() };

// The recorded batch as SendGrid posts it: a JSON array, one event per line, ending in CRLF.
const BODY = `[${recorded.map((event) => JSON.stringify(event)).join(',\r\n')}]\r\n`;

function signed(body: string, now: number, pem: string): ProviderRequest {
  const timestamp = String(Math.floor(now / 1000));
  const signature = sign('sha256', Buffer.from(timestamp + body), pem).toString('base64');
  const library = new EventWebhook();
  const publicKey = library.convertPublicKeyToECDSA(shown(pem));
  if (!library.verifySignature(publicKey, body, signature, timestamp)) {
    throw new Error('@sendgrid/eventwebhook does not accept the request this case signed');
  }
  return {
    contentType: 'application/json',
    body,
    headers: { [SIGNATURE]: signature, [TIMESTAMP]: timestamp },
  };
}

const MESSAGE = '14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0';
const NEWSLETTER = '14c5d75ce96.dfd.64b469.filter0001.16648.5515E0B88.0';

export const sendgridCases: readonly ProviderCase[] = [
  {
    provider: 'sendgrid',
    channel: 'sendgrid',
    channelConfig: () => ({
      provider: 'sendgrid',
      publicKeys: [shown(SIGNERS.current), shown(SIGNERS.next)],
    }),
    signers: SIGNERS,
    request: ({ now, signer }) => signed(BODY, now, signer),
    // `processed` and `deferred` produce nothing.
    expected: [
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
      },
    ],
    unsigned: ({
      headers: { [SIGNATURE]: _signature, [TIMESTAMP]: _timestamp, ...headers },
      ...request
    }) => ({ ...request, headers }),
    toleranceMs: 300_000,
  },
];
