import {
  futureIssues,
  INGEST_LIMITS as LIMITS,
  parseInteraction,
  SOURCE_HEADER,
  type Interaction,
  type Issue,
} from '@rapport/schema';
import { ApiError, underPath } from './errors.js';

/** Names item `index` of a request in issue paths: `batch.3`, or `''` for a single event. */
export type PathOf = (index: number) => string;

/** `{ "batch": [...] }` or one event: the items and how to name each in an issue path. */
export function itemsOf(body: unknown): { items: unknown[]; pathOf: PathOf } {
  if (typeof body === 'object' && body !== null && 'batch' in body && Array.isArray(body.batch)) {
    if (body.batch.length === 0) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'the batch is empty: nothing to accept', [
        { path: 'batch', message: 'expected at least one event' },
      ]);
    }
    return { items: body.batch as unknown[], pathOf: (index) => `batch.${index}` };
  }
  return { items: [body], pathOf: () => '' };
}

const tooManyEvents = (count: number) =>
  `${count} events; at most ${LIMITS.batchEvents} are accepted per request`;
const isOversized = (item: unknown) =>
  jsonBytesAtMost(item, LIMITS.eventBytes) > LIMITS.eventBytes &&
  Buffer.byteLength(JSON.stringify(item) ?? '') > LIMITS.eventBytes;

/**
 * An upper bound of the UTF-8 bytes of a parsed JSON value's serialisation, far cheaper to take
 * than serialising it: a string's code unit takes at most six bytes (`\uXXXX`), a number or a
 * literal at most 24 characters, and a key its quotes, colon and comma. It stops counting once
 * past `budget`. Only a value whose bound passes the limit is serialised to be measured exactly.
 */
export function jsonBytesAtMost(value: unknown, budget: number): number {
  if (typeof value === 'string') return 2 + 6 * value.length;
  if (typeof value !== 'object' || value === null) return 24;
  let bytes = 2;
  if (Array.isArray(value)) {
    for (const element of value as unknown[]) {
      bytes += 1 + jsonBytesAtMost(element, budget - bytes);
      if (bytes > budget) break;
    }
    return bytes;
  }
  for (const [key, inner] of Object.entries(value)) {
    bytes += 4 + 6 * key.length + jsonBytesAtMost(inner, budget - bytes);
    if (bytes > budget) break;
  }
  return bytes;
}

/** Refuses a batch over the item limit, or any item over 32 KB, before parsing anything. */
export function checkLimits(items: readonly unknown[], rawBytes: number, pathOf: PathOf): void {
  if (items.length > LIMITS.batchEvents) {
    throw new ApiError(400, 'BATCH_TOO_LARGE', `the batch has ${tooManyEvents(items.length)}`);
  }
  if (rawBytes <= LIMITS.eventBytes) return; // No item can be larger than the whole body.
  items.forEach((item, index) => {
    if (isOversized(item)) {
      const path = pathOf(index);
      throw new ApiError(
        413,
        'PAYLOAD_TOO_LARGE',
        `event ${path || '(body)'} is larger than ${LIMITS.eventBytes / 1024} KB`,
        [{ path, message: `larger than ${LIMITS.eventBytes / 1024} KB` }],
      );
    }
  });
}

/**
 * Every item must be a canonical event dated at most five minutes ahead; one bad item refuses
 * the whole request, with every issue of every item so the client can fix them all at once.
 */
export function validateEvents(
  items: readonly unknown[],
  pathOf: PathOf,
  nowMs: number,
): Interaction[] {
  const events: Interaction[] = [];
  const issues: Issue[] = [];
  items.forEach((item, index) => {
    const parsed = parseInteraction(item);
    const itemIssues = parsed.ok ? futureIssues(parsed.value, nowMs) : parsed.issues;
    if (itemIssues.length > 0) issues.push(...underPath(pathOf(index), itemIssues));
    else if (parsed.ok) events.push(parsed.value);
  });
  throwIfInvalid(issues, items.length);
  return events;
}

/** The same limits for the events a webhook adapter made of one payload, as issues. */
export function adaptedLimitIssues(events: readonly Interaction[]): Issue[] {
  if (events.length > LIMITS.batchEvents) {
    return [{ path: '', message: `the payload maps to ${tooManyEvents(events.length)}` }];
  }
  return events.flatMap((event, index) =>
    isOversized(event)
      ? [{ path: String(index), message: `larger than ${LIMITS.eventBytes / 1024} KB` }]
      : [],
  );
}

export function throwIfInvalid(issues: readonly Issue[], total: number): void {
  if (issues.length === 0) return;
  const first = issues[0]?.path || '(body)';
  throw new ApiError(
    400,
    'VALIDATION_FAILED',
    `invalid input, nothing was accepted: ${issues.length} issue(s) in ${total} event(s), first at ${first}`,
    issues,
  );
}

/**
 * The `source` stamped on events posted to `/v1/interactions`: `http`, or `http:<name>` when the
 * client names itself with one of the configured names (`rapport import` sends `csv`). Kept under
 * `http:` so that no client can pass its events off as the engine's, Segment's or a webhook's,
 * and an allow-list so that clients cannot grow the metrics' label values without bound.
 */
export function httpSource(
  header: string | string[] | undefined,
  allowed: readonly string[],
): string {
  if (header === undefined) return 'http';
  if (typeof header === 'string' && allowed.includes(header)) return `http:${header}`;
  throw new ApiError(
    400,
    'VALIDATION_FAILED',
    `${SOURCE_HEADER} must be one of ${allowed.join(', ')} (RAPPORT_CLIENT_SOURCES)`,
    [{ path: `headers.${SOURCE_HEADER}`, message: `expected one of ${allowed.join(', ')}` }],
  );
}
