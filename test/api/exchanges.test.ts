import { CustomerViewSchema, type CustomerView } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, TEST_WRITE_KEY } from '../harness/index.js';
import { startTestStack, type TestStack } from './helpers.js';

const DAY = 86_400_000;

/** Twelve weekly rounds of the given events, the last one `lastDaysAgo` days before `now`. */
function weekly(
  customerId: string,
  now: number,
  lastDaysAgo: number,
  round: readonly { readonly type: string; readonly direction: string; readonly channel: string }[],
) {
  return Array.from({ length: 12 }, (_, week) => now - (lastDaysAgo + (11 - week) * 7) * DAY)
    .flatMap((at) =>
      round.map((fields, index) => ({
        ...fields,
        customerId,
        occurredAt: new Date(at + index * 60_000).toISOString(),
      })),
    )
    .map((event, index) => ({ ...event, eventId: `${customerId}-${index}` }));
}

describe('purchases are exchanges, through the gateway', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack('exchanges');
  });
  afterAll(async () => {
    await t.stop();
  });

  async function customer(id: string, count: number): Promise<CustomerView> {
    for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
      const response = await t.get(`/v1/customers/${id}`);
      if (response.status === 200) {
        const view = CustomerViewSchema.parse(await response.json());
        if (view.events >= count || Date.now() > deadline) return view;
      } else if (Date.now() > deadline) {
        throw new Error(`${id}: ${response.status} ${await response.text()}`);
      }
    }
  }

  it('reads a weekly buyer as engaged, and a one-way email blast still as nothing', async () => {
    const now = Date.now();
    // A point-of-sale export: a visit and a purchase every week, inbound only, last one 2 days ago.
    const buyer = weekly(`buyer-${t.names.id}`, now, 2, [
      { type: 'store.visit', direction: 'inbound', channel: 'store' },
      { type: 'purchase.completed', direction: 'inbound', channel: 'store' },
    ]);
    const blasted = weekly(`blasted-${t.names.id}`, now, 2, [
      { type: 'email.sent', direction: 'outbound', channel: 'email' },
    ]);
    const response = await fetch(`${t.gateway.url}/v1/interactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_WRITE_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [...buyer, ...blasted] }),
    });
    expect(response.status).toBe(202);

    const weeklyBuyer = await customer(buyer[0]?.customerId ?? '', buyer.length);
    expect(weeklyBuyer.events).toBe(buyer.length);
    expect(weeklyBuyer.status).toBe('engaged');
    expect(weeklyBuyer.stage).not.toBe('at_risk');
    expect(weeklyBuyer.engagement).toBeGreaterThan(50);
    expect(weeklyBuyer.ledger.received).toBeGreaterThan(0);

    const blast = await customer(blasted[0]?.customerId ?? '', blasted.length);
    expect(blast.events).toBe(blasted.length);
    expect(blast.engagement).toBe(0);
  });
});
