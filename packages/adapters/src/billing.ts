import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { GENERIC_SIGNATURE, providerAdapter, rule } from './adapter.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * Billing: Stripe event objects (`{ id: 'evt_…', type, created, data: { object,
 * previous_attributes } }`). The customer is `data.object.customer`; the event id is Stripe's.
 *
 * | Stripe `type`                                       | canonical type          | direction |
 * | --------------------------------------------------- | ----------------------- | --------- |
 * | invoice.paid                                        | billing.invoice_paid    | inbound   |
 * | invoice.payment_failed                              | billing.payment_failed  | inbound   |
 * | customer.subscription.updated, period rolled over   | subscription.renewed    | inbound   |
 * | customer.subscription.deleted                       | subscription.cancelled  | inbound   |
 *
 * A paid invoice's value is the amount paid in the currency's major unit (a $20.00 invoice is worth
 * 20), so that money outweighs a page view; amounts are not converted between currencies, and a
 * zero invoice (a trial) leaves the weight to the catalog.
 *
 * A failed payment has no `outcome`: it is not the business breaking a promise (the card was
 * declined), and it is not value either, so its value is 0 whatever the catalog says. Dunning
 * emails and a later `invoice.paid` tell the rest of the story.
 *
 * A subscription update is a renewal when its billing period moved on: `previous_attributes`
 * holds the old `current_period_end` (API versions before 2025-03-31) or the items' old periods
 * (since then, periods live on subscription items) and the subscription is active. Plan, quantity
 * and cancel-at-period-end changes produce nothing.
 *
 * Signing: Stripe's `Stripe-Signature: t=…,v1=…` is an HMAC of `t.body`, not of the body, so the
 * gateway cannot check it yet; billing takes the generic `x-rapport-signature` until it can.
 */

/** Stripe amounts are in the currency's minor unit; a few currencies have none, a few three. */
const ZERO_DECIMAL = new Set(
  'bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf'.split(' '),
);
const THREE_DECIMAL = new Set('bhd jod kwd omr tnd'.split(' '));

function majorUnits(amount: number, currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return amount;
  return amount / (THREE_DECIMAL.has(currency) ? 1000 : 100);
}

function stripeEvent<T extends z.ZodType>(object: T) {
  return z.object({ id: IdSchema, created: UnixSecondsSchema, data: z.object({ object }) });
}

const invoice = z.object({
  id: IdSchema,
  customer: IdSchema,
  currency: z.string().toLowerCase(),
  amount_paid: z.number().int().nonnegative(),
  subscription: IdSchema.nullish(),
  billing_reason: z.string().nullish(),
});

const subscription = z.object({
  id: IdSchema,
  customer: IdSchema,
  status: z.string(),
  cancellation_details: z.object({ reason: z.string().nullish() }).nullish(),
});

const period = { current_period_end: z.number().optional() };
const previousSubscription = z.object({
  ...period,
  items: z.object({ data: z.array(z.object(period)) }).optional(),
});

const subscriptionUpdated = stripeEvent(subscription).extend({
  data: z.object({ object: subscription, previous_attributes: previousSubscription.optional() }),
});

function periodRolledOver(previous: z.infer<typeof previousSubscription> | undefined): boolean {
  if (previous === undefined) return false;
  const periods = [previous, ...(previous.items?.data ?? [])];
  return periods.some((changed) => changed.current_period_end !== undefined);
}

type StripeEvent<T> = { id: string; created: string; data: { object: T } };

function billed<T extends { customer: string }>(event: StripeEvent<T>) {
  return {
    eventId: event.id,
    customerId: event.data.object.customer,
    occurredAt: event.created,
    direction: 'inbound',
  } as const;
}

function invoiceProperties(object: z.infer<typeof invoice>) {
  return {
    invoiceId: object.id,
    currency: object.currency,
    ...(object.subscription != null && { subscriptionId: object.subscription }),
    ...(object.billing_reason != null && { billingReason: object.billing_reason }),
  };
}

export const billingAdapter = providerAdapter({
  channel: 'billing',
  signature: GENERIC_SIGNATURE,
  kind: z.object({ type: z.string() }).transform(({ type }) => type),
  rules: {
    'invoice.paid': rule(stripeEvent(invoice), (event) => {
      const { amount_paid, currency } = event.data.object;
      return {
        ...billed(event),
        type: 'billing.invoice_paid',
        ...(amount_paid > 0 && { value: majorUnits(amount_paid, currency) }),
        properties: invoiceProperties(event.data.object),
      };
    }),
    'invoice.payment_failed': rule(stripeEvent(invoice), (event) => ({
      ...billed(event),
      type: 'billing.payment_failed',
      value: 0,
      properties: invoiceProperties(event.data.object),
    })),
    'customer.subscription.updated': rule(subscriptionUpdated, (event) =>
      event.data.object.status === 'active' && periodRolledOver(event.data.previous_attributes)
        ? {
            ...billed(event),
            type: 'subscription.renewed',
            properties: { subscriptionId: event.data.object.id },
          }
        : undefined,
    ),
    // Stripe cancels on the customer's request or for non-payment; the reason says who.
    'customer.subscription.deleted': rule(stripeEvent(subscription), (event) => {
      const reason = event.data.object.cancellation_details?.reason ?? undefined;
      return {
        ...billed(event),
        type: 'subscription.cancelled',
        ...(reason !== undefined && {
          initiator: reason === 'cancellation_requested' ? 'customer' : 'business',
        }),
        properties: {
          subscriptionId: event.data.object.id,
          ...(reason !== undefined && { reason }),
        },
      };
    }),
  },
});
