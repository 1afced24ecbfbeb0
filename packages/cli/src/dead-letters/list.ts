import type { Config } from '@rapport/config';
import { readDeadLetters, type ListedLetter } from '../clients/kafka.js';

export interface ListOptions {
  /** Show the newest this many. */
  readonly limit: number;
  /** `csv`, `webhook:email`, or `webhook` for every webhook channel. */
  readonly source?: string | undefined;
}

export interface DeadLetterList {
  /** Every record on the topic. */
  readonly total: number;
  /** Those the source filter kept. */
  readonly matching: number;
  /** The newest `limit` of them, oldest first. */
  readonly letters: readonly ListedLetter[];
}

/** `webhook` matches `webhook:email`, as a folder matches its files; `csv` matches `csv`. */
export function matchesSource(source: string, filter: string | undefined): boolean {
  return filter === undefined || source === filter || source.startsWith(`${filter}:`);
}

/** Reads the dead-letter topic up to its end now and keeps the newest `limit` matching letters. */
export async function listDeadLetters(
  config: Config,
  options: ListOptions,
): Promise<DeadLetterList> {
  let total = 0;
  let matching = 0;
  let kept: ListedLetter[] = [];
  const newestFirst = (a: ListedLetter, b: ListedLetter) => b.timestampMs - a.timestampMs;
  for await (const listed of readDeadLetters(config)) {
    total += 1;
    if (!matchesSource(listed.source, options.source)) continue;
    matching += 1;
    kept.push(listed);
    // Bounded: trim to the newest `limit` whenever twice that many piled up.
    if (kept.length >= 2 * options.limit) kept = kept.sort(newestFirst).slice(0, options.limit);
  }
  const letters = kept.sort(newestFirst).slice(0, options.limit).reverse();
  return { total, matching, letters };
}

const ORIGINAL_CHARS = 100;

export function describeListed(listed: ListedLetter): string {
  const where = `${listed.partition}/${listed.offset}`;
  if (!listed.ok) {
    const issue = listed.issues[0];
    return `${where}  (not a dead letter: ${issue?.path || '(value)'}: ${issue?.message ?? ''})\n    ${truncate(listed.raw)}`;
  }
  const { letter } = listed;
  const context = Object.entries(letter.context ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  return [
    `${where}  ${letter.receivedAt}  ${letter.source}  ${letter.reason.code}  ${letter.reason.message}`,
    ...(context === '' ? [] : [`    ${context}`]),
    `    original: ${truncate(letter.original)}`,
  ].join('\n');
}

const truncate = (text: string) =>
  text.length <= ORIGINAL_CHARS ? text : `${text.slice(0, ORIGINAL_CHARS)}… (${text.length} chars)`;
