import { seededRandom } from '@rapport/model';
import { describe, expect, it } from 'vitest';
import { compareEntries, mergePages, type ListEntry, type ListPage } from './list-merge.js';

const entry = (customerId: string, score: string): ListEntry => ({ customerId, score });

/**
 * A walk of one sorted index from a cursor, as the LIST script walks it: entries after the
 * cursor, up to `wanted` found or `budget` looked at; `keep` stands for the status filter.
 */
function walk(
  index: readonly ListEntry[],
  order: 'asc' | 'desc',
  after: ListEntry | undefined,
  wanted: number,
  budget: number,
  keep: (entry: ListEntry) => boolean,
): ListPage {
  const rest = [...index]
    .sort((a, b) => compareEntries(a, b, order))
    .filter((candidate) => after === undefined || compareEntries(candidate, after, order) > 0);
  const found: ListEntry[] = [];
  let looked = 0;
  for (const candidate of rest) {
    looked += 1;
    if (keep(candidate)) found.push(candidate);
    if (found.length === wanted || looked === budget) return { found, next: candidate };
  }
  return { found };
}

describe('mergePages', () => {
  it('orders by score as numbers, then bytewise, -inf and inf at the ends', () => {
    const sorted = [
      entry('z', '-inf'),
      entry('b', '-5'),
      entry('a', '10'),
      entry('B', '9e1'),
      entry('é', '90'),
      entry('a', 'inf'),
    ];
    const shuffled = [sorted[3]!, sorted[5]!, sorted[0]!, sorted[4]!, sorted[2]!, sorted[1]!];
    expect(shuffled.sort((a, b) => compareEntries(a, b, 'asc'))).toEqual(sorted);
  });

  it('pages through shards exactly as through one index: nothing skipped or repeated', () => {
    const next = seededRandom(7);
    for (let round = 0; round < 40; round += 1) {
      const shards = 1 + Math.floor(next() * 5);
      // Few distinct scores: many ties, which the member's bytes break.
      const all = Array.from({ length: 20 + Math.floor(next() * 80) }, (_, n) =>
        entry(`c${Math.floor(next() * 1e6)}-${n}`, String(Math.floor(next() * 6))),
      );
      const byShard = Array.from({ length: shards }, (_, k) =>
        all.filter((_, n) => n % shards === k),
      );
      const order = next() < 0.5 ? 'asc' : 'desc';
      const keep = (candidate: ListEntry) => !candidate.customerId.endsWith('3');
      const wanted = 1 + Math.floor(next() * 7);
      const budget = 1 + Math.floor(next() * 9);
      const expected = [...all].sort((a, b) => compareEntries(a, b, order)).filter(keep);
      const listed: ListEntry[] = [];
      let after: ListEntry | undefined;
      for (let call = 0; call < 1_000; call += 1) {
        const pages = byShard.map((index) => walk(index, order, after, wanted, budget, keep));
        const page = mergePages(pages, order, wanted);
        expect(page.found.length).toBeLessThanOrEqual(wanted);
        listed.push(...page.found);
        after = page.next;
        if (after === undefined) break;
      }
      expect(listed).toEqual(expected);
    }
  });
});
