import { z } from 'zod';
import { IdSchema } from '@rapport/schema';
import { GENERIC_SIGNATURE, providerAdapter, rule, type EventDraft } from './adapter.js';
import { UnixSecondsSchema } from './wire.js';

/**
 * Billing: Stripe event objects (`{ id: 'evt_…', type, created, data: { object,
 * previous_attributes } }`). The customer is `data.object.customer`; the event id is Stripe's.
 *
 * | Stripe `type`, when                            | canonical type                      | dir. |
 * | ---------------------------------------------- | ----------------------------------- | ---- |
 * | customer.subscription.created, active/trialing | subscription.started                | in   |
 * | customer.subscription.updated, incomplete →    | subscription.started                | in   |
 * |   active                                       |                                     |      |
 * | customer.subscription.updated, period rolled   | subscription.renewed                | in   |
 * | customer.subscription.updated, to cancel at    | subscription.cancellation_scheduled | in   |
 * |   the period's end                             |                                     |      |
 * | customer.subscription.deleted                  | subscription.cancelled              | in   |
 * | invoice.paid                                   | billing.invoice_paid                | in   |
 * | invoice.payment_failed                         | billing.payment_failed              | in   |
 * | checkout.session.completed (one-off, paid),    | purchase.completed                  | in   |
 * |   checkout.session.async_payment_succeeded     |                                     |      |
 * | checkout.session.async_payment_failed          | billing.payment_failed              | in   |
 * | charge.refunded                                | billing.refunded                    | out  |
 *
 * A paid invoice's or a purchase's value is the amount paid in the currency's major unit (a
 * $20.00 invoice is worth 20), so that money outweighs a page view; amounts are not converted
 * between currencies, and a zero amount (a trial) leaves the weight to the catalog.
 *
 * A failed payment has no `outcome`: it is not the business breaking a promise (the card was
 * declined), and it is not value either, so its value is 0 whatever the catalog says. Dunning
 * emails and a later `invoice.paid` tell the rest of the story. Refunds and scheduled
 * cancellations are evidence, not value exchanged: value 0 too.
 *
 * A subscription update is a renewal when its billing period moved on: `previous_attributes`
 * holds the old `current_period_end` (API versions before 2025-03-31) or the items' old periods
 * (since then, periods live on subscription items) and the subscription is active. It is a start
 * when its first payment completed it (`incomplete` → `active`, the Payment Element's flow), and
 * the customer's decision to leave when it was set to cancel at the period's end (the customer
 * portal's default; `customer.subscription.deleted` follows at the period's end). Plan and
 * quantity changes produce nothing. Who cancelled follows Stripe's cancellation reason.
 *
 * Checkout in `payment` mode is a one-off purchase, once paid (a bank debit completes unpaid and
 * pays later, `async_payment_succeeded`); in `subscription` mode the subscription and invoice
 * events above record it, so the session itself produces nothing. Checkout creates no Stripe
 * customer for a one-off purchase by default, so a guest is identified by the lower-cased email
 * address they gave, as the email channel identifies people; a refund of a guest's charge by its
 * billing email.
 *
 * Not mapped, on purpose: `charge.succeeded` and `payment_intent.succeeded` (the same money as
 * the invoice or the checkout session: counted twice otherwise), and disputes (a dispute names
 * a charge, not a customer, and an adapter calls no API to find out whose it is).
 *
 * Signing: channels of provider `stripe` (the channels file) are verified by Stripe's own
 * `Stripe-Signature` (`@rapport/adapters/node`, `verify/stripe.ts`); the built-in `billing`
 * channel keeps the generic `x-rapport-signature`, for relays that sign that way.
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
  cancel_at_period_end: z.boolean().optional(),
  cancellation_details: z.object({ reason: z.string().nullish() }).nullish(),
});
type Subscription = z.infer<typeof subscription>;

const period = { current_period_end: z.number().optional() };
const previousSubscription = z.object({
  ...period,
  status: z.string().optional(),
  cancel_at_period_end: z.boolean().optional(),
  items: z.object({ data: z.array(z.object(period)) }).optional(),
});
type PreviousSubscription = z.infer<typeof previousSubscription>;

/** A guest's email address (no Stripe customer), lower-cased as the email channel has it. */
const guestSchema = z
  .object({
    email: z
      .string()
      .transform((email) => email.toLowerCase())
      .nullish(),
  })
  .nullish();

/** The payer: the Stripe customer, else the guest's email address, else an issue at `customer`. */
function withPayer<T extends { customer?: string | null | undefined }>(
  object: T,
  guest: string | null | undefined,
  context: z.core.$RefinementCtx,
): T & { customer: string } {
  const customer = object.customer ?? guest;
  if (customer != null) return { ...object, customer };
  context.addIssue({
    code: 'custom',
    path: ['customer'],
    message: 'expected a customer, or the email address of a guest',
  });
  return z.NEVER;
}

const checkoutSession = z
  .object({
    id: IdSchema,
    customer: IdSchema.nullish(),
    customer_details: guestSchema,
    mode: z.string(),
    payment_status: z.string(),
    currency: z.string().toLowerCase().nullish(),
    amount_total: z.number().int().nonnegative().nullish(),
    payment_intent: IdSchema.nullish(),
  })
  .transform((session, context) => withPayer(session, session.customer_details?.email, context));

const charge = z
  .object({
    id: IdSchema,
    customer: IdSchema.nullish(),
    billing_details: guestSchema,
    currency: z.string().toLowerCase(),
    amount_refunded: z.number().int().nonnegative(),
    refunded: z.boolean(),
    payment_intent: IdSchema.nullish(),
  })
  .transform((object, context) => withPayer(object, object.billing_details?.email, context));

const subscriptionUpdated = stripeEvent(subscription).extend({
  data: z.object({ object: subscription, previous_attributes: previousSubscription.optional() }),
});

function periodRolledOver(previous: PreviousSubscription): boolean {
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

/** Stripe cancels on the customer's request, for non-payment or a dispute; the reason says who. */
function cancellation(object: Subscription) {
  const reason = object.cancellation_details?.reason ?? undefined;
  return {
    ...(reason !== undefined && {
      initiator:
        reason === 'cancellation_requested' ? ('customer' as const) : ('business' as const),
    }),
    properties: { subscriptionId: object.id, ...(reason !== undefined && { reason }) },
  };
}

/** An event's canonical fields besides those every billing event reads alike (`billed`). */
type Meaning = Omit<EventDraft, keyof ReturnType<typeof billed>>;

/** What a subscription update means, if anything (see the table above). */
function subscriptionChange(
  object: Subscription,
  previous: PreviousSubscription,
): Meaning | undefined {
  const properties = { subscriptionId: object.id };
  if (object.status === 'active' && periodRolledOver(previous)) {
    return { type: 'subscription.renewed', properties };
  }
  if (object.status === 'active' && previous.status === 'incomplete') {
    return { type: 'subscription.started', properties };
  }
  if (object.cancel_at_period_end === true && previous.cancel_at_period_end === false) {
    return { type: 'subscription.cancellation_scheduled', value: 0, ...cancellation(object) };
  }
  return undefined;
}

/** A subscription starts paying at once, or after its trial: either way the customer chose it. */
const STARTED = new Set(['active', 'trialing']);

function invoiceProperties(object: z.infer<typeof invoice>) {
  return {
    invoiceId: object.id,
    currency: object.currency,
    ...(object.subscription != null && { subscriptionId: object.subscription }),
    ...(object.billing_reason != null && { billingReason: object.billing_reason }),
  };
}

function checkoutProperties(session: z.infer<typeof checkoutSession>) {
  return {
    checkoutSessionId: session.id,
    ...(session.currency != null && { currency: session.currency }),
    ...(session.payment_intent != null && { paymentIntentId: session.payment_intent }),
  };
}

/** A one-off purchase through Checkout, once its payment succeeded. */
const purchase = rule(stripeEvent(checkoutSession), (event) => {
  const session = event.data.object;
  if (session.mode !== 'payment' || session.payment_status !== 'paid') return undefined;
  const { amount_total: amount, currency } = session;
  return {
    ...billed(event),
    type: 'purchase.completed',
    ...(amount != null &&
      amount > 0 &&
      currency != null && { value: majorUnits(amount, currency) }),
    properties: checkoutProperties(session),
  };
});

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
    'customer.subscription.created': rule(stripeEvent(subscription), (event) => {
      const { id, status } = event.data.object;
      return STARTED.has(status)
        ? {
            ...billed(event),
            type: 'subscription.started',
            properties: { subscriptionId: id, status },
          }
        : undefined;
    }),
    'customer.subscription.updated': rule(subscriptionUpdated, (event) => {
      const change = subscriptionChange(event.data.object, event.data.previous_attributes ?? {});
      return change && { ...billed(event), ...change };
    }),
    'customer.subscription.deleted': rule(stripeEvent(subscription), (event) => ({
      ...billed(event),
      type: 'subscription.cancelled',
      ...cancellation(event.data.object),
    })),
    'checkout.session.completed': purchase,
    'checkout.session.async_payment_succeeded': purchase,
    'checkout.session.async_payment_failed': rule(stripeEvent(checkoutSession), (event) =>
      event.data.object.mode === 'payment'
        ? {
            ...billed(event),
            type: 'billing.payment_failed',
            value: 0,
            properties: checkoutProperties(event.data.object),
          }
        : undefined,
    ),
    'charge.refunded': rule(stripeEvent(charge), (event) => {
      const { id, currency, amount_refunded, refunded, payment_intent } = event.data.object;
      return {
        ...billed(event),
        direction: 'outbound',
        type: 'billing.refunded',
        value: 0,
        properties: {
          chargeId: id,
          currency,
          amountRefunded: majorUnits(amount_refunded, currency),
          fullyRefunded: refunded,
          ...(payment_intent != null && { paymentIntentId: payment_intent }),
        },
      };
    }),
  },
});
