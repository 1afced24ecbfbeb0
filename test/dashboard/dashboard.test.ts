import { CustomerListSchema, CustomerViewSchema, SummarySchema } from '@rapport/read-model';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_READ_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import {
  buyer,
  EMAIL,
  eventsOf,
  postBatch,
  startWholeStack,
  viewOfAll,
  weekly,
  type TestStack,
  type WholeStack,
} from '../api/helpers.js';
import { DAY } from '../workflows/helpers.js';
import { ARTIFACTS_DIR, launchChromium, pixelVariety, screenshot } from './browser.js';

/** The rows of the overview's at-risk list. */
const ROWS = '[data-testid="list-at-risk"] [data-testid="customer-row"]';

/** A reply from the customer: the first value they give back. */
const REPLY = { type: 'email.replied', direction: 'inbound', channel: 'email' } as const;

/**
 * The dashboard in headless Chromium against the whole stack (gateway, projector, API, bridge,
 * worker on real Kafka, Redis and Temporal): what it shows is what the API answers, and it
 * follows the change stream without a reload.
 */
describe('the dashboard in a real browser', () => {
  let stack: WholeStack;
  let t: TestStack;
  let browser: Browser;
  /** Customers who only ever received newsletters (at risk), and two weekly buyers (engaged). */
  let blasted: string[];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWholeStack('dashboard'), launchChromium()]);
    t = stack.t;
    const id = t.names.id;
    blasted = [1, 2, 3].map((n) => `blasted-${n}-${id}`);
    const buyers = [1, 2].map((n) => `buyer-${n}-${id}`);
    const batches = [
      ...blasted.map((customer) =>
        eventsOf(
          customer,
          weekly(Date.now() - DAY, 6).map((at) => [at, EMAIL] as const),
        ),
      ),
      ...buyers.map((customer) => buyer(customer, weekly(Date.now() - 2 * DAY, 6))),
    ];
    await postBatch(t, batches.flat());
    await Promise.all(batches.map((events) => viewOfAll(t, events[0]?.customerId ?? '', events)));
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const api = async (path: string) => {
    const response = await t.get(path);
    expect(response.status, path).toBe(200);
    return await response.json();
  };

  async function signIn(page: Page, key: string) {
    await page.goto(`${t.api.url}/dashboard/`);
    await page.getByTestId('key-input').fill(key);
    await page.getByTestId('key-submit').click();
  }

  it('refuses a wrong key, and a key of another class, with the reason, and keeps neither', async () => {
    const page = await browser.newPage();
    try {
      await signIn(page, 'not-a-key');
      const error = page.getByTestId('key-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/refused this key/i);
      await page.getByTestId('key-input').fill(TEST_WRITE_KEY);
      await page.getByTestId('key-submit').click();
      await page.getByText('this is a write key').waitFor();
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      expect(page.url()).not.toContain(TEST_WRITE_KEY);
    } finally {
      await page.close();
    }
  });

  it('lists the at-risk customers the API lists, opens one whose figures equal the API’s, and follows new events without a reload', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(page, TEST_READ_KEY);
      const rows = page.locator(ROWS);
      await rows.first().waitFor();
      const listed = CustomerListSchema.parse(
        await api('/v1/customers?status=at_risk&sort=at_risk_at'),
      );
      expect(listed.items.map((item) => item.customerId).toSorted()).toEqual(blasted.toSorted());
      expect(
        await Promise.all((await rows.all()).map((row) => row.getAttribute('data-customer'))),
      ).toEqual(listed.items.map((item) => item.customerId));
      const summary = SummarySchema.parse(await api('/v1/summary'));
      expect(summary.status).toMatchObject({ at_risk: 3, engaged: 2 });
      for (const status of ['at_risk', 'engaged', 'cooling', 'dormant'] as const) {
        const shown = await page.getByTestId(`count-${status}`).locator('.count').textContent();
        expect(Number(shown), status).toBe(summary.status[status]);
      }
      expect(await page.getByTestId('count-total').textContent()).toBe('5');
      // The page is kept: a reload would lose this.
      await page.evaluate("sessionStorage.setItem('test.kept', 'yes'); window.notReloaded = true");

      // A newsletter to someone new: the overview lists them without a reload.
      const latecomer = `latecomer-${t.names.id}`;
      await postBatch(t, eventsOf(latecomer, [[Date.now() - DAY, EMAIL]]));
      await page.locator(`[data-testid="list-at-risk"] [data-customer="${latecomer}"]`).waitFor();
      await page.getByTestId('count-total').getByText('6').waitFor();
      const overview = await screenshot(page, 'overview');
      expect(pixelVariety(overview)).toBeGreaterThan(64);
      expect(await page.getByTestId('problem').count()).toBe(0);

      // The customer page: every figure is the API's, read at the instant the page read it.
      const [chosen] = blasted;
      await page.locator(`[data-customer="${chosen}"] a`).click();
      const customerPage = page.locator(`[data-testid="customer-page"][data-customer="${chosen}"]`);
      await customerPage.waitFor();
      const expectFiguresOfApi = async () => {
        const asOf = (await customerPage.getAttribute('data-as-of')) ?? '';
        const view = CustomerViewSchema.parse(
          await api(`/v1/customers/${chosen}?at=${encodeURIComponent(asOf)}`),
        );
        const value = async (testId: string) =>
          Number(await page.getByTestId(testId).getAttribute('data-value'));
        expect(await value('figure-engagement')).toBe(view.engagement);
        expect(await value('figure-participation')).toBe(view.participation);
        expect(await value('figure-trust')).toBe(view.trust.value);
        expect(await value('trust-confidence')).toBe(view.trust.confidence);
        expect(await value('ledger-them')).toBe(view.ledger.given);
        expect(await value('ledger-us')).toBe(view.ledger.received);
        expect(await page.getByTestId('figure-engagement').locator('strong').textContent()).toBe(
          view.engagement.toFixed(1),
        );
        return view;
      };
      const before = await expectFiguresOfApi();
      expect(before.status).toBe('at_risk');
      await page.getByTestId('one-way').waitFor();
      await page.locator('[data-testid="live"][data-state="live"]').waitFor();

      // They write back: the page changes by itself.
      const reply = { ...REPLY, customerId: chosen, eventId: `${chosen}-reply` };
      await postBatch(t, [{ ...reply, occurredAt: new Date().toISOString(), threadId: 'th-1' }]);
      await page.locator(`[data-testid="timeline-event"][data-event="${reply.eventId}"]`).waitFor();
      const after = await expectFiguresOfApi();
      expect(after.events).toBeGreaterThan(before.events);
      expect(after.ledger.lifetime.given).toBeGreaterThan(0);
      expect(await page.evaluate("'notReloaded' in window")).toBe(true);
      expect(await page.evaluate("sessionStorage.getItem('test.kept')")).toBe('yes');

      const customer = await screenshot(page, 'customer');
      expect(pixelVariety(customer)).toBeGreaterThan(64);
      expect(await page.getByTestId('problem').count()).toBe(0);
      await page.getByTestId('history-chart').waitFor();
      console.log(`dashboard screenshots: ${ARTIFACTS_DIR}`);
    } finally {
      await page.close();
    }
  });

  it('fits a phone’s width: nothing runs off the side', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await signIn(page, TEST_READ_KEY);
      await page.locator('[data-testid="customer-row"]').first().waitFor();
      const overflow = () =>
        page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.goto(`${t.api.url}/dashboard/#/customers/${blasted[1]}`);
      await page.getByTestId('ledger').waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'customer-phone');
    } finally {
      await page.close();
    }
  });
});
