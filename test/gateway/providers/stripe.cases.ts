import Stripe from 'stripe';
import recorded from '../../../packages/adapters/src/samples/stripe-events.json' with { type: 'json' };
import purchases from '../../../packages/adapters/src/samples/stripe-purchases.json' with { type: 'json' };
import type { ProviderCase, ProviderRequest } from './cases.js';

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` under the
 * endpoint's signing secret, fresh for 5 minutes, signed here by Stripe's own library. Two
 * accounts are two channels: `billing` (a subscription's paid invoice) and `stripe-eu` (a guest's
 * one-off Checkout purchase), each with its own secrets.
 */

const SIGNATURE = 'stripe-signature';

/** Stripe posts its events pretty-printed; the signature covers exactly these bytes. */
function signed(event: unknown, now: number, secret: string): ProviderRequest {
  const body = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret,
    timestamp: Math.floor(now / 1000),
  });
  return {
    contentType: 'application/json; charset=utf-8',
    body,
    headers: {
      [SIGNATURE]: signature,
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
  };
}

const unsigned = ({
  headers: { [SIGNATURE]: _signature, ...headers },
  ...request
}: ProviderRequest) => ({
  ...request,
  headers,
});

function stripeCase(
  channel: string,
  event: unknown,
  expected: readonly Record<string, unknown>[],
): ProviderCase {
  const signers = {
    current: `whsec_${channel}_current_0123456789abcdef`,
    next: `whsec_${channel}_next_0123456789abcdef`,
    wrong: `whsec_${channel}_wrong_0123456789abcdef`,
  };
  return {
    provider: 'stripe',
    channel,
    channelConfig: () => ({ provider: 'stripe', secrets: [signers.current, signers.next] }),
    signers,
    request: ({ now, signer }) => signed(event, now, signer),
    expected,
    unsigned,
    toleranceMs: 300_000,
  };
}

const [, , invoicePaid] = recorded;
const [, , , , guestPurchase] = purchases;

export const stripeCases: readonly ProviderCase[] = [
  stripeCase('billing', invoicePaid, [
    {
      eventId: 'evt_1PBm2w2eZvKYlo2Cx1y2z3a4',
      customerId: 'cus_Q1x2y3z4',
      channel: 'billing',
      type: 'billing.invoice_paid',
      direction: 'inbound',
      occurredAt: '2024-05-01T09:30:05.000Z',
      value: 49,
      source: 'webhook:billing',
    },
  ]),
  stripeCase('stripe-eu', guestPurchase, [
    {
      eventId: 'evt_1QAd012eZvKYlo2CchkoutG',
      customerId: 'grace@example.com',
      channel: 'billing',
      type: 'purchase.completed',
      direction: 'inbound',
      value: 129,
      source: 'webhook:stripe-eu',
    },
  ]),
];
