/** An index entry as a list walk returns it. */
export interface ListEntry {
  readonly customerId: string;
  /** As Redis writes a score: `-inf`, `inf` or a number. */
  readonly score: string;
}

export interface ListPage {
  readonly found: readonly ListEntry[];
  /** Where the walk stopped; undefined when the index is exhausted. */
  readonly next?: ListEntry;
}

const scoreValue = (score: string): number =>
  score === '-inf' ? -Infinity : score === 'inf' || score === '+inf' ? Infinity : Number(score);

/**
 * The order of a list walk: by score, then by the member's bytes (how a sorted set orders equal
 * scores, and how the LIST script resumes after a cursor); reversed for `desc`.
 */
export function compareEntries(a: ListEntry, b: ListEntry, order: 'asc' | 'desc'): number {
  const [x, y] = [scoreValue(a.score), scoreValue(b.score)];
  const byScore = x < y ? -1 : x > y ? 1 : 0;
  const sign = order === 'asc' ? 1 : -1;
  return sign * (byScore || Buffer.compare(Buffer.from(a.customerId), Buffer.from(b.customerId)));
}

/**
 * One page out of the pages of every index shard, each walked from the same cursor: exactly
 * what a walk of one index holding them all would give. A shard has seen everything up to where
 * it stopped (all of it when exhausted), so entries past the least advanced shard's stop may
 * have neighbours that shard has not reached yet: they are left for the next page, which finds
 * them again. At most `wanted` entries; `next` is where the merged walk got to.
 */
export function mergePages(
  pages: readonly ListPage[],
  order: 'asc' | 'desc',
  wanted: number,
): ListPage {
  const compare = (a: ListEntry, b: ListEntry) => compareEntries(a, b, order);
  let frontier: ListEntry | undefined;
  for (const { next } of pages) {
    if (next !== undefined && (frontier === undefined || compare(next, frontier) < 0)) {
      frontier = next;
    }
  }
  const found = pages
    .flatMap((page) => page.found)
    .filter((entry) => frontier === undefined || compare(entry, frontier) <= 0)
    .sort(compare);
  if (found.length > wanted) return { found: found.slice(0, wanted), next: found[wanted - 1]! };
  return frontier === undefined ? { found } : { found, next: frontier };
}
