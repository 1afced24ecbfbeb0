import { OTHER } from './catalog.js';
import { bump, get, type Sparse, type SparseDraft } from './vectors.js';

/** Per type: deep inbound value, outbound value (ledger half-life), net evidence (trust). */
export const ROW = { given: 0, received: 1, evidence: 2 } as const;
export const ROW_WIDTH = 3;

/**
 * Which types get a row of their own. A state keeps at most `limit` named rows; every other type
 * is pooled under OTHER. Which types are named is decided by a fixed rank, never by arrival:
 * the named rows are always the best-ranked types the customer has, so the state stays a function
 * of the event multiset (and its size stays bounded) whatever order events arrive or merge in.
 */
export interface RowPolicy {
  readonly limit: number;
  /** Lower is more important; types the catalog no longer knows rank last. */
  readonly rankOf: (key: string) => number;
}

/** Adds to a column of the key's row, making room for it if it outranks a named row. */
export function addToRow(
  rows: SparseDraft,
  key: string,
  column: number,
  amount: number,
  policy: RowPolicy,
): void {
  bump(rows.values, rowFor(rows, key, policy) * ROW_WIDTH + column, amount);
}

/** Decay factors for the value columns (ledger half-life) and the evidence column (trust). */
export interface RowDecay {
  readonly value: number;
  readonly evidence: number;
}

/** A copy with every row decayed; keys are shared (see SparseDraft). */
export function rescaledRows(rows: Sparse, decay: RowDecay): SparseDraft {
  const values = rows.values.slice();
  for (let at = 0; at < values.length; at += ROW_WIDTH) {
    values[at + ROW.given] = get(values, at + ROW.given) * decay.value;
    values[at + ROW.received] = get(values, at + ROW.received) * decay.value;
    values[at + ROW.evidence] = get(values, at + ROW.evidence) * decay.evidence;
  }
  return { keys: rows.keys, values };
}

/** a·da + b·db row by row, keeping the best-ranked rows named. */
export function mergedRows(
  a: Sparse,
  da: RowDecay,
  b: Sparse,
  db: RowDecay,
  policy: RowPolicy,
): SparseDraft {
  const rows = rescaledRows(a, da);
  const factors = [db.value, db.value, db.evidence];
  b.keys.forEach((key, k) => {
    const at = rowFor(rows, key, policy);
    for (let c = 0; c < ROW_WIDTH; c++) {
      bump(rows.values, at * ROW_WIDTH + c, get(b.values, k * ROW_WIDTH + c) * get(factors, c));
    }
  });
  return rows;
}

function rowFor(rows: SparseDraft, key: string, policy: RowPolicy): number {
  const at = rows.keys.indexOf(key);
  if (at >= 0) return at;
  if (key === OTHER || namedRows(rows) < policy.limit) return insertRow(rows, key);
  const worst = rows.keys[worstNamed(rows, policy)] ?? OTHER;
  if (!outranks(key, worst, policy)) return rowFor(rows, OTHER, policy);
  const pool = rowFor(rows, OTHER, policy);
  const out = rows.keys.indexOf(worst);
  for (let c = 0; c < ROW_WIDTH; c++) {
    bump(rows.values, pool * ROW_WIDTH + c, get(rows.values, out * ROW_WIDTH + c));
  }
  rows.keys = rows.keys.toSpliced(out, 1);
  rows.values.splice(out * ROW_WIDTH, ROW_WIDTH);
  return insertRow(rows, key);
}

/**
 * A zero row at the key's place in key order: the order the stored forms write, so that a state
 * read back sums its rows in the same order as the state written, to the last bit (a workflow's
 * hand-over must not move a predicted instant).
 */
function insertRow(rows: SparseDraft, key: string): number {
  let at = 0;
  while (at < rows.keys.length && (rows.keys[at] ?? key) < key) at++;
  rows.keys = rows.keys.toSpliced(at, 0, key);
  rows.values.splice(at * ROW_WIDTH, 0, 0, 0, 0);
  return at;
}

function namedRows(rows: Sparse): number {
  return rows.keys.length - (rows.keys.includes(OTHER) ? 1 : 0);
}

function worstNamed(rows: Sparse, policy: RowPolicy): number {
  let worst = -1;
  rows.keys.forEach((key, at) => {
    if (key !== OTHER && (worst < 0 || outranks(rows.keys[worst] ?? OTHER, key, policy))) {
      worst = at;
    }
  });
  return worst;
}

function outranks(a: string, b: string, policy: RowPolicy): boolean {
  const [ra, rb] = [policy.rankOf(a), policy.rankOf(b)];
  return ra < rb || (ra === rb && a < b);
}
