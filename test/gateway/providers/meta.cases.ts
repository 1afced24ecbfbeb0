import { createHmac } from 'node:crypto';
import page from '../../../packages/adapters/src/samples/meta-page.json' with { type: 'json' };
import whatsapp from '../../../packages/adapters/src/samples/meta-whatsapp.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Meta's webhooks (Facebook Pages, Instagram, WhatsApp Cloud API on one app): `X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256 of the body>` keyed with the app secret. Meta publishes no library that
 * signs webhooks, so node:crypto signs here; the scheme's unit tests check the same computation
 * against the documentation's sample payload signed by OpenSSL. The endpoint check is Meta's
 * documented verification request, answered with its challenge as plain text.
 */

const SIGNATURE = 'x-hub-signature-256';
const VERIFY_TOKEN = 'meatyhamhock';
const CHALLENGE = '1158201444';

const signers = {
  current: '6c1b0f3e9d8a4c27b5e2f91a07d3c864',
  next: '9e2d4a61c0b8f7e35d1a6c2b4f90e387',
  wrong: '00000000000000000000000000000000',
};

function metaCase(payload: unknown, expected: readonly Record<string, unknown>[]): ProviderCase {
  // Compact, as Meta sends it; signed over exactly these bytes.
  const body = JSON.stringify(payload);
  return {
    provider: 'meta',
    channel: 'meta',
    channelConfig: () => ({
      provider: 'meta',
      secrets: [signers.current, signers.next],
      verifyToken: VERIFY_TOKEN,
    }),
    signers,
    request: ({ signer }): ProviderRequest => ({
      contentType: 'application/json',
      body,
      headers: { [SIGNATURE]: `sha256=${createHmac('sha256', signer).update(body).digest('hex')}` },
    }),
    expected,
    unsigned: ({ headers, ...request }) => ({
      ...request,
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => name !== SIGNATURE)),
    }),
    handshake: {
      request: (): ProviderRequest => ({
        method: 'GET',
        query: `?hub.mode=subscribe&hub.challenge=${CHALLENGE}&hub.verify_token=${VERIFY_TOKEN}`,
        body: '',
        headers: {},
      }),
      status: 200,
      body: CHALLENGE,
    },
  };
}

const PAGE = '109876543210987';
const ADA = '7201954361234567';
const SOCIAL = { channel: 'social', direction: 'inbound', initiator: 'customer' };
const WHATSAPP = { channel: 'sms', customerId: '+16505551234' };
const SENT = 'wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1RjQ0RDMwQjYxQkMxNUQ5OTUA';

export const metaCases: readonly ProviderCase[] = [
  // A page's Messenger conversation (a question, the page's echo, a reaction, a postback) and its
  // feed (a comment, a like, a visitor post, a mention); the page's own comment and an edit
  // produce nothing.
  metaCase(page, [
    {
      ...SOCIAL,
      eventId: 'm_AG5Hz2Uq7qDEtQu3fB9wKx1YzQZ3hK7pLmNoPqRsTuVwXyZ0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV',
      customerId: `facebook:${ADA}`,
      type: 'social.direct_message',
      threadId: `facebook:${PAGE}:${ADA}`,
      expectsResponse: true,
      occurredAt: '2024-05-01T09:30:00.000Z',
    },
    {
      channel: 'social',
      eventId: 'm_BH6Ia3Vr8rEFuRv4gC0xLy2ZaRA4iL8qMnOpQrStUvWxYzA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1vW',
      customerId: `facebook:${ADA}`,
      type: 'social.direct_message',
      direction: 'outbound',
      threadId: `facebook:${PAGE}:${ADA}`,
    },
    { ...SOCIAL, customerId: `facebook:${ADA}`, type: 'social.reacted' },
    { ...SOCIAL, customerId: 'facebook:7209876543210001', type: 'social.direct_message' },
    {
      ...SOCIAL,
      eventId: '822334455667788_1029384756',
      customerId: 'facebook:24601234567890123',
      type: 'social.reply',
      properties: { network: 'facebook', visibility: 'public' },
    },
    { ...SOCIAL, customerId: 'facebook:24609876543210987', type: 'social.reacted' },
    { ...SOCIAL, customerId: 'facebook:24605555555555555', type: 'social.mention' },
    { ...SOCIAL, customerId: 'facebook:24607777777777777', type: 'social.mention' },
  ]),
  // WhatsApp Cloud API on the same app: a customer's message and the business's statuses, as
  // texts; the reaction produces nothing.
  metaCase(whatsapp, [
    {
      ...WHATSAPP,
      type: 'sms.replied',
      direction: 'inbound',
      threadId: '+16505551234|+15550783881',
      expectsResponse: true,
    },
    { ...WHATSAPP, eventId: `${SENT}:sent`, type: 'sms.sent', direction: 'outbound' },
    { ...WHATSAPP, eventId: `${SENT}:delivered`, type: 'sms.delivered', direction: 'outbound' },
    { ...WHATSAPP, eventId: `${SENT}:read`, type: 'sms.read', direction: 'inbound' },
    { channel: 'sms', customerId: '+16505559876', type: 'sms.failed', direction: 'outbound' },
  ]),
];
