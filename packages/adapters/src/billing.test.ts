import { describe, expect, it } from 'vitest';
import { billingAdapter } from './billing.js';
import recorded from './samples/stripe-events.json' with { type: 'json' };
import purchases from './samples/stripe-purchases.json' with { type: 'json' };
import { CONTEXT, eventsOf, pathsOf } from './testing.js';

const SUBSCRIPTION = 'sub_1PBm2s2eZvKYlo2C';
const OF_CUSTOMER = { customerId: 'cus_Q1x2y3z4', channel: 'billing', direction: 'inbound' };

/** Stripe posts one event per request; the sample holds a subscription's recorded life. */
const adaptAll = (payloads: readonly unknown[]) =>
  payloads.flatMap((payload) => eventsOf(billingAdapter.adapt(payload, CONTEXT)));

describe('billingAdapter (Stripe events)', () => {
  it("maps a subscription's recorded life to exactly these events", () => {
    expect(adaptAll(recorded)).toEqual([
      {
        ...OF_CUSTOMER,
        eventId: 'evt_1PBm2v2eZvKYlo2CiG4lUJzd',
        type: 'subscription.renewed',
        occurredAt: '2024-05-01T09:30:00.000Z',
        properties: { subscriptionId: SUBSCRIPTION },
      },
      {
        ...OF_CUSTOMER,
        eventId: 'evt_1PBm2w2eZvKYlo2Cx1y2z3a4',
        type: 'billing.invoice_paid',
        occurredAt: '2024-05-01T09:30:05.000Z',
        value: 49,
        properties: {
          invoiceId: 'in_1PBm2s2eZvKYlo2C4vHhWjPq',
          currency: 'usd',
          subscriptionId: SUBSCRIPTION,
          billingReason: 'subscription_cycle',
        },
      },
      {
        ...OF_CUSTOMER,
        eventId: 'evt_1PLd0f2eZvKYlo2Ct5y6u7i8',
        type: 'billing.payment_failed',
        occurredAt: '2024-06-01T00:01:40.000Z',
        value: 0,
        properties: {
          invoiceId: 'in_1PLd0c2eZvKYlo2Cz1x2c3v4',
          currency: 'usd',
          subscriptionId: SUBSCRIPTION,
          billingReason: 'subscription_cycle',
        },
      },
      {
        ...OF_CUSTOMER,
        eventId: 'evt_1PLd9k2eZvKYlo2Co0p9i8u7',
        type: 'subscription.cancelled',
        initiator: 'customer',
        occurredAt: '2024-06-02T03:46:40.000Z',
        properties: { subscriptionId: SUBSCRIPTION, reason: 'cancellation_requested' },
      },
    ]);
  });

  it('sees a renewal in the item periods of API versions since 2025-03-31', () => {
    const [, renewal] = recorded;
    const basil = {
      ...renewal,
      data: {
        ...renewal?.data,
        previous_attributes: { items: { data: [{ current_period_end: 1714555800 }] } },
      },
    };
    expect(adaptAll([basil]).map((event) => event.type)).toEqual(['subscription.renewed']);
  });

  it('values amounts in the major unit of their currency and leaves a zero invoice to the catalog', () => {
    const [, , paid] = recorded;
    const valueOf = (currency: string, amount: number) =>
      adaptAll([
        {
          ...paid,
          data: { object: { ...paid?.data.object, currency, amount_paid: amount } },
        },
      ])[0]?.value;
    expect(valueOf('JPY', 5000)).toBe(5000);
    expect(valueOf('kwd', 12_340)).toBe(12.34);
    expect(valueOf('eur', 1999)).toBe(19.99);
    expect(valueOf('usd', 0)).toBeUndefined();
  });

  it('marks a cancellation for non-payment as the business’s', () => {
    const [, , , , , deleted] = recorded;
    const unpaid = {
      ...deleted,
      data: {
        object: { ...deleted?.data.object, cancellation_details: { reason: 'payment_failed' } },
      },
    };
    expect(adaptAll([unpaid])[0]).toMatchObject({
      initiator: 'business',
      type: 'subscription.cancelled',
    });
  });

  it('reports a guest invoice and a bad time at their paths', () => {
    const [, , paid] = recorded;
    const result = billingAdapter.adapt(
      {
        ...paid,
        created: '1714555805',
        data: { object: { ...paid?.data.object, customer: null } },
      },
      CONTEXT,
    );
    expect(pathsOf(result).sort()).toEqual(['created', 'data.object.customer']);
  });

  it('maps starts, a scheduled cancellation, purchases, a failed bank debit and a refund', () => {
    const GUEST = 'grace@example.com';
    expect(adaptAll(purchases)).toEqual([
      {
        eventId: 'evt_1QAa012eZvKYlo2CtrialS',
        customerId: 'cus_R2a3b4c5',
        channel: 'billing',
        direction: 'inbound',
        type: 'subscription.started',
        occurredAt: '2024-10-27T03:33:20.000Z',
        properties: { subscriptionId: 'sub_1QAa002eZvKYlo2C', status: 'trialing' },
      },
      {
        eventId: 'evt_1QAb022eZvKYlo2CactivU',
        customerId: 'cus_R9z8y7x6',
        channel: 'billing',
        direction: 'inbound',
        type: 'subscription.started',
        occurredAt: '2024-10-27T03:36:00.000Z',
        properties: { subscriptionId: 'sub_1QAb002eZvKYlo2C' },
      },
      {
        eventId: 'evt_1QAc012eZvKYlo2CcapeU1',
        customerId: 'cus_R2a3b4c5',
        channel: 'billing',
        direction: 'inbound',
        type: 'subscription.cancellation_scheduled',
        initiator: 'customer',
        value: 0,
        occurredAt: '2024-11-07T17:20:00.000Z',
        properties: { subscriptionId: 'sub_1QAa002eZvKYlo2C', reason: 'cancellation_requested' },
      },
      {
        eventId: 'evt_1QAd012eZvKYlo2CchkoutG',
        customerId: GUEST,
        channel: 'billing',
        direction: 'inbound',
        type: 'purchase.completed',
        value: 129,
        occurredAt: '2024-11-08T21:06:40.000Z',
        properties: {
          checkoutSessionId: 'cs_test_a1B2c3',
          currency: 'usd',
          paymentIntentId: 'pi_3QAd002eZvKYlo2C',
        },
      },
      {
        eventId: 'evt_1QAe022eZvKYlo2CasyncOK',
        customerId: 'cus_R7k6j5h4',
        channel: 'billing',
        direction: 'inbound',
        type: 'purchase.completed',
        value: 450,
        occurredAt: '2024-11-12T08:26:40.000Z',
        properties: {
          checkoutSessionId: 'cs_test_g7H8i9',
          currency: 'usd',
          paymentIntentId: 'pi_3QAe002eZvKYlo2C',
        },
      },
      {
        eventId: 'evt_1QAf012eZvKYlo2CasyncKO',
        customerId: 'cus_R7k6j5h4',
        channel: 'billing',
        direction: 'inbound',
        type: 'billing.payment_failed',
        value: 0,
        occurredAt: '2024-11-13T12:13:20.000Z',
        properties: {
          checkoutSessionId: 'cs_test_j1K2l3',
          currency: 'usd',
          paymentIntentId: 'pi_3QAf002eZvKYlo2C',
        },
      },
      {
        eventId: 'evt_1QAh012eZvKYlo2CrefndP',
        customerId: GUEST,
        channel: 'billing',
        direction: 'outbound',
        type: 'billing.refunded',
        value: 0,
        occurredAt: '2024-11-14T16:00:00.000Z',
        properties: {
          chargeId: 'ch_3QAd002eZvKYlo2C',
          currency: 'usd',
          amountRefunded: 43,
          fullyRefunded: false,
          paymentIntentId: 'pi_3QAd002eZvKYlo2C',
        },
      },
    ]);
  });

  it('refuses a purchase that names neither a customer nor a guest’s email, at customer', () => {
    const [, , , , guest] = purchases;
    const anonymous = {
      ...guest,
      data: { object: { ...guest?.data.object, customer_details: { email: null } } },
    };
    expect(pathsOf(billingAdapter.adapt(anonymous, CONTEXT))).toEqual(['data.object.customer']);
  });
});
