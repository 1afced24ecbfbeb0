import type { Issue } from '@rapport/schema';

/**
 * Parsers for what the CLI reads off the wire (gateway answers, CSV rows kept in dead letters).
 * Written by hand because zod is not a dependency of @rapport/cli; each returns `undefined` for
 * anything that is not exactly the documented shape, so nothing is trusted by a cast.
 */

/** The gateway's 202 answer: `{ accepted, duplicates }`, plus `deadLettered` on webhook routes. */
export interface Counts {
  readonly accepted: number;
  readonly duplicates: number;
  readonly deadLettered?: number;
}

/** The one error shape of Rapport's HTTP services. */
export interface ApiErrorBody {
  readonly code: string;
  readonly message: string;
  readonly issues: readonly Issue[];
}

export type Row = Readonly<Record<string, string>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

export function parseCounts(body: unknown): Counts | undefined {
  if (!isRecord(body) || !isCount(body.accepted) || !isCount(body.duplicates)) return undefined;
  const { accepted, duplicates, deadLettered } = body;
  if (deadLettered === undefined) return { accepted, duplicates };
  return isCount(deadLettered) ? { accepted, duplicates, deadLettered } : undefined;
}

export function parseIssues(value: unknown): Issue[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const issues: Issue[] = [];
  for (const item of value) {
    if (!isRecord(item) || typeof item.path !== 'string' || typeof item.message !== 'string') {
      return undefined;
    }
    issues.push({ path: item.path, message: item.message });
  }
  return issues;
}

export function parseApiError(body: unknown): ApiErrorBody | undefined {
  if (!isRecord(body) || !isRecord(body.error)) return undefined;
  const { code, message, issues = [] } = body.error;
  const parsedIssues = parseIssues(issues);
  if (typeof code !== 'string' || typeof message !== 'string' || parsedIssues === undefined) {
    return undefined;
  }
  return { code, message, issues: parsedIssues };
}

/** A CSV row as the importer dead-letters it: an object of column name to cell text. */
export function parseRow(text: string): Row | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const cells = Object.entries(value);
  // fromEntries, not assignment: a column named `__proto__` must stay a column.
  return cells.every((cell): cell is [string, string] => typeof cell[1] === 'string')
    ? Object.fromEntries(cells)
    : undefined;
}

/** `Retry-After` in seconds (the gateway sends whole seconds; HTTP dates are not used). */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+(\.\d+)?$/.test(header.trim())) return undefined;
  return Number(header) * 1000;
}
