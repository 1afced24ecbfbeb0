import { CustomerListSchema, CustomerViewSchema, SummarySchema } from '@rapport/read-model';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, TEST_ADMIN_KEY, TEST_READ_KEY, TEST_WRITE_KEY } from '../harness/index.js';
import {
  buyer,
  EMAIL,
  eventsOf,
  postBatch,
  startTestApi,
  startWholeStack,
  viewOfAll,
  weekly,
  type TestStack,
  type WholeStack,
} from '../api/helpers.js';
import { DAY } from '../workflows/helpers.js';
import { ARTIFACTS_DIR, launchChromium, pixelVariety, screenshot } from './browser.js';

/** The rows of the overview's at-risk list. */
const AT_RISK_ROWS = '[data-testid="list-at-risk"] [data-testid="customer-row"]';
/** A reply from the customer: the first value they give back. */
const REPLY = { type: 'email.replied', direction: 'inbound', channel: 'email' } as const;
/** How long a change may take to reach the page through the stream (its quiet re-read is 30 s). */
const LIVE = { timeout: 10_000 };

/** An error state outside the follow-ups panel (which Temporal being slow may fairly show). */
const pageProblems = async (page: Page) =>
  (await page.getByTestId('problem').count()) -
  (await page.locator('[data-testid="follow-ups"] [data-testid="problem"]').count());

/** What the customer page shows, read in one go so that all of it comes from one render. */
interface Shown {
  readonly asOf: string;
  readonly events: number;
  readonly figures: Record<string, number>;
}
const SHOWN_FIGURES = [
  'figure-engagement',
  'figure-participation',
  'figure-trust',
  'trust-confidence',
  'ledger-them',
  'ledger-us',
];
const readShown = (page: Page): Promise<Shown> =>
  page.evaluate(`(() => {
    const page = document.querySelector('[data-testid="customer-page"]');
    const value = (id) => Number(document.querySelector('[data-testid="' + id + '"]')?.getAttribute('data-value'));
    return {
      asOf: page.getAttribute('data-as-of'),
      events: Number(page.getAttribute('data-events')),
      figures: Object.fromEntries(${JSON.stringify(SHOWN_FIGURES)}.map((id) => [id, value(id)])),
    };
  })()`);

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
  let buyers: string[];
  /** Every URL the pages asked for, to show that the key is never in one. */
  const requested: string[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startWholeStack('dashboard'), launchChromium()]);
    t = stack.t;
    const id = t.names.id;
    blasted = [1, 2, 3].map((n) => `blasted-${n}-${id}`);
    buyers = [1, 2].map((n) => `buyer-${n}-${id}`);
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

  async function openPage(width = 1280): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('request', (request) => requested.push(request.url()));
    return page;
  }

  async function signIn(page: Page, key: string, base = t.api.url) {
    await page.goto(`${base}/dashboard/`);
    await page.getByTestId('key-input').fill(key);
    await page.getByTestId('key-submit').click();
  }

  /** The page's figures equal the API's read at the page's own instant, once both have settled. */
  async function expectFiguresOfApi(page: Page, customerId: string) {
    const read = async () => {
      const shown = await readShown(page);
      const at = encodeURIComponent(shown.asOf);
      const view = CustomerViewSchema.parse(await api(`/v1/customers/${customerId}?at=${at}`));
      return { shown, view };
    };
    // The API may have projected an event (the engine's own too) the page has not read yet.
    let { shown, view } = await read();
    for (const deadline = Date.now() + LIVE.timeout; view.events !== shown.events;) {
      if (Date.now() > deadline) throw new Error(`the page still shows ${shown.events} events`);
      await sleep(100);
      ({ shown, view } = await read());
    }
    expect(shown.figures).toEqual({
      'figure-engagement': view.engagement,
      'figure-participation': view.participation,
      'figure-trust': view.trust.value,
      'trust-confidence': view.trust.confidence,
      'ledger-them': view.ledger.given,
      'ledger-us': view.ledger.received,
    });
    expect(await page.getByTestId('figure-engagement').locator('strong').textContent()).toBe(
      view.engagement.toFixed(1),
    );
    return view;
  }

  it('refuses a wrong key, and a key of another class, with the reason, and keeps neither', async () => {
    const page = await openPage();
    try {
      await signIn(page, 'not-a-key-at-all');
      const error = page.getByTestId('key-error');
      await error.waitFor();
      expect(await error.textContent()).toMatch(/refused this key/i);
      await page.getByTestId('key-input').fill(TEST_WRITE_KEY);
      await page.getByTestId('key-submit').click();
      await page.getByText('this is a write key').waitFor();
      expect(await page.evaluate('sessionStorage.length')).toBe(0);
      expect(await page.getByTestId('overview').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('lists the at-risk customers the API lists, opens one whose figures equal the API’s, and follows new events without a reload', async () => {
    const page = await openPage();
    try {
      await signIn(page, TEST_READ_KEY);
      const rows = page.locator(AT_RISK_ROWS);
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
        const shown = page.getByTestId(`count-${status}`).locator('.count');
        expect(Number(await shown.getAttribute('data-count')), status).toBe(summary.status[status]);
      }
      expect(await page.getByTestId('count-total').getAttribute('data-count')).toBe('5');
      // A reload would lose both.
      await page.evaluate("sessionStorage.setItem('test.kept', 'yes'); window.notReloaded = true");

      // A newsletter to someone new: the overview lists and counts them without a reload.
      await page.locator('[data-testid="live"][data-state="live"]').waitFor();
      const latecomer = `latecomer-${t.names.id}`;
      await postBatch(t, eventsOf(latecomer, [[Date.now() - DAY, EMAIL]]));
      await page.locator(`${AT_RISK_ROWS}[data-customer="${latecomer}"]`).waitFor(LIVE);
      await page.locator('[data-testid="count-total"][data-count="6"]').waitFor(LIVE);
      const overview = await screenshot(page, 'overview');
      expect(pixelVariety(overview)).toBeGreaterThan(64);
      expect(await pageProblems(page)).toBe(0);

      // The customer page: every figure is the API's, read at the instant the page read it.
      const [chosen] = blasted;
      await page.locator(`[data-customer="${chosen}"] a`).click();
      await page.locator(`[data-testid="customer-page"][data-customer="${chosen}"]`).waitFor();
      const before = await expectFiguresOfApi(page, chosen ?? '');
      expect(before.status).toBe('at_risk');
      expect(await page.getByTestId('one-way').getAttribute('data-direction')).toBe('us');
      await page.locator('[data-testid="live"][data-state="live"]').waitFor();

      // They write back: the page changes by itself.
      const reply = { ...REPLY, customerId: chosen, eventId: `${chosen}-reply` };
      await postBatch(t, [{ ...reply, occurredAt: new Date().toISOString(), threadId: 'th-1' }]);
      await page
        .locator(`[data-testid="timeline-event"][data-event="${reply.eventId}"]`)
        .waitFor(LIVE);
      const after = await expectFiguresOfApi(page, chosen ?? '');
      expect(after.events).toBeGreaterThan(before.events);
      expect(
        Number(await page.getByTestId('ledger-them').getAttribute('data-value')),
      ).toBeGreaterThan(0);
      expect(await page.evaluate("'notReloaded' in window")).toBe(true);
      expect(await page.evaluate("sessionStorage.getItem('test.kept')")).toBe('yes');

      await page.getByTestId('history-chart').waitFor();
      const customer = await screenshot(page, 'customer');
      expect(pixelVariety(customer)).toBeGreaterThan(64);
      expect(await pageProblems(page)).toBe(0);
      console.log(`dashboard screenshots: ${ARTIFACTS_DIR}`);
    } finally {
      await page.close();
    }
  });

  it('filters, searches, and says plainly when an id has nothing recorded', async () => {
    const page = await openPage();
    try {
      await signIn(page, TEST_READ_KEY);
      await page.locator(AT_RISK_ROWS).first().waitFor();
      // Engaged only: the two buyers, no one at risk.
      await page.getByTestId('filter-status').selectOption('engaged');
      const engaged = page.locator('[data-testid="list-status"] [data-testid="customer-row"]');
      await engaged.nth(1).waitFor();
      expect((await engaged.all()).length).toBe(2);
      expect((await engaged.first().getAttribute('data-customer'))?.startsWith('buyer-')).toBe(
        true,
      );
      // A dormant stage lists by silence (the API has no crossing to sort dormant customers by).
      await page.getByTestId('filter-status').selectOption('');
      await page.getByTestId('filter-stage').selectOption('dormant');
      await page.locator('[data-testid="list-status"] [data-testid="list-empty"]').waitFor();
      expect(await pageProblems(page)).toBe(0);
      // Search by id opens the customer; an unknown id says so.
      await page.getByTestId('search-input').fill(buyers[0] ?? '');
      await page.getByTestId('search-input').press('Enter');
      await page.locator(`[data-testid="customer-page"][data-customer="${buyers[0]}"]`).waitFor();
      await page.goto(`${t.api.url}/dashboard/#/customers/nobody-${t.names.id}`);
      await page.getByTestId('customer-missing').waitFor();
    } finally {
      await page.close();
    }
  });

  it('shows a follow-up with its playbook, steps and outcome as the workflow reports them', async () => {
    const [customer] = buyers;
    const asked = await fetch(`${t.api.url}/v1/customers/${customer}/follow-ups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ playbook: 'win-back' }),
    });
    expect(asked.status).toBe(202);
    const page = await openPage();
    try {
      await signIn(page, TEST_READ_KEY);
      await page.goto(`${t.api.url}/dashboard/#/customers/${customer}`);
      const run = page.locator('[data-testid="follow-up"][data-playbook="win-back"]');
      await run.locator('[data-testid="follow-up-step"]').first().waitFor({ timeout: 20_000 });
      expect(await run.textContent()).toContain('a person asked for one');
      expect(await page.getByTestId('doing').textContent()).toContain('win-back');
      await page.locator('[data-testid="drop"][data-decision="started"]').waitFor();
    } finally {
      await page.close();
    }
  });

  it('fits a phone’s width: nothing runs off the side', async () => {
    const page = await openPage(390);
    try {
      await signIn(page, TEST_READ_KEY);
      await page.locator(AT_RISK_ROWS).first().waitFor();
      const overflow = () =>
        page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.goto(`${t.api.url}/dashboard/#/customers/${blasted[0]}`);
      // Everything drawn: the events, and the chart (the customer who replied has two points).
      await page.getByTestId('timeline-event').first().waitFor();
      await page.getByTestId('history-chart').waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshot(page, 'customer-phone');
    } finally {
      await page.close();
    }
  });

  it('never puts a key in a URL', () => {
    expect(requested.length).toBeGreaterThan(10);
    for (const url of requested) {
      for (const key of [TEST_READ_KEY, TEST_WRITE_KEY, 'not-a-key-at-all']) {
        expect(url).not.toContain(key);
      }
    }
  });
});

describe('the dashboard on an empty store', () => {
  it('says how to send a first event', async () => {
    const [t, browser] = await Promise.all([startTestApi('dashboard-empty'), launchChromium()]);
    try {
      const page = await browser.newPage();
      await page.goto(`${t.api.url}/dashboard/`);
      await page.getByTestId('key-input').fill(TEST_READ_KEY);
      await page.getByTestId('key-submit').click();
      const empty = page.getByTestId('empty');
      await empty.waitFor();
      expect(await empty.textContent()).toContain('/v1/interactions');
      expect(await empty.textContent()).toContain('rapport demo');
    } finally {
      await browser.close();
      await t.stop();
    }
  });
});
