import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@rapport/model';
import { CustomerListSchema, CustomerViewSchema } from '@rapport/read-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCsv } from '../../packages/cli/src/csv-import/import-csv.js';
import { startTestStack, type TestStack } from '../api/helpers.js';
import { sleep, TEST_WRITE_KEY } from '../harness/index.js';
import { fileIn, workDir } from './helpers.js';

const DAY = 86_400_000;
const MAPPING = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../packages/adapters/mappings/point-of-sale.yaml',
);

/** Whom a store manager would call, and whom not, in a point-of-sale history of 300 customers. */
type Kind = 'weekly regular' | 'lapsed regular' | 'monthly regular' | 'one-off buyer';
interface Shopper {
  readonly card: string;
  readonly kind: Kind;
  readonly purchases: readonly number[];
}

/**
 * Days ago of each purchase, a day either way of the usual day: weekly regulars who came this
 * week, weekly regulars who stopped coming 25 to 40 days ago, monthly regulars between visits, and
 * one-off buyers of the last 40 days (at 47 days a single purchase fades into the at-risk band:
 * with no rhythm to judge them by, engagement does).
 */
function shoppers(prefix: string): Shopper[] {
  const random = seededRandom(24);
  const between = (low: number, high: number) => low + random() * (high - low);
  const every = (interval: number, count: number, lastDaysAgo: number) =>
    Array.from({ length: count }, (_, i) =>
      i === 0 ? lastDaysAgo : lastDaysAgo + i * interval + between(-1, 1),
    );
  const group = (kind: Kind, count: number, purchases: () => number[]) =>
    Array.from({ length: count }, (_, i) => ({
      card: `${prefix}-${kind.replace(/\W/g, '')}-${i}`,
      kind,
      purchases: purchases(),
    }));
  return [
    ...group('weekly regular', 120, () => every(7, 12, between(0, 6))),
    ...group('lapsed regular', 60, () => every(7, Math.round(between(8, 12)), between(25, 40))),
    ...group('monthly regular', 60, () => every(30, Math.round(between(4, 6)), between(5, 25))),
    ...group('one-off buyer', 60, () => [between(1, 40)]),
  ];
}

function csv(all: readonly Shopper[], now: number): string {
  const rows = all.flatMap(({ card, purchases }) =>
    purchases.map(
      (daysAgo, i) =>
        `${card}-r${i},${card},${new Date(now - daysAgo * DAY).toISOString()},Lyon,${(12 + i).toFixed(2)}`,
    ),
  );
  return ['receipt,loyalty_card,paid_at,store,total', ...rows].join('\n');
}

describe('a point-of-sale history, imported', () => {
  let t: TestStack;
  let dir: string;
  beforeAll(async () => {
    t = await startTestStack('point-of-sale');
    dir = await workDir();
  });
  afterAll(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function projected(all: readonly Shopper[]): Promise<void> {
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
      const counts = await Promise.all(
        all.map(async ({ card }) => {
          const response = await t.get(`/v1/customers/${card}`);
          return response.ok ? CustomerViewSchema.parse(await response.json()).events : 0;
        }),
      );
      if (counts.every((count, i) => count === all[i]?.purchases.length)) return;
    }
    throw new Error('the import was not projected within 30 s');
  }

  async function listed(status: string): Promise<string[]> {
    const cards: string[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const query = `status=${status}&limit=100${cursor ? `&cursor=${cursor}` : ''}`;
      const page = CustomerListSchema.parse(await (await t.get(`/v1/customers?${query}`)).json());
      cards.push(...page.items.map((item) => item.customerId));
      cursor = page.nextCursor;
    }
    return cards.sort();
  }

  it('lists exactly the regulars who stopped coming as at risk', async () => {
    const now = Date.now();
    const all = shoppers(t.names.id);
    const file = await fileIn(dir, 'sales.csv', csv(all, now));
    const summary = await importCsv(t.config, {
      file,
      mappingFile: MAPPING,
      target: { url: t.gateway.url, key: TEST_WRITE_KEY },
    });
    const receipts = all.reduce((sum, shopper) => sum + shopper.purchases.length, 0);
    expect(summary).toMatchObject({ rows: receipts, accepted: receipts, rejected: 0 });
    await projected(all);

    const mine = (cards: string[]) => cards.filter((card) => card.startsWith(`${t.names.id}-`));
    const cardsOf = (kind: Kind) =>
      all
        .filter((shopper) => shopper.kind === kind)
        .map((shopper) => shopper.card)
        .sort();
    expect(mine(await listed('at_risk'))).toEqual(cardsOf('lapsed regular'));
    expect(mine(await listed('dormant'))).toEqual([]);

    // Each is judged against their own rhythm: a lapsed regular by theirs.
    const lapsed = all.find((shopper) => shopper.kind === 'lapsed regular');
    const view = CustomerViewSchema.parse(
      await (await t.get(`/v1/customers/${lapsed?.card ?? ''}`)).json(),
    );
    expect(view.rhythm.intervalDays).toBeGreaterThan(6);
    expect(view.rhythm.intervalDays).toBeLessThan(8);
    expect(Date.parse(view.predictions.overdueAt ?? '')).toBeLessThan(now);
    expect(view.engagement).toBeGreaterThan(0);
  });
});
