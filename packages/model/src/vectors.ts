/** Element i of a fixed-layout vector (the layouts are constants, so it always exists). */
export function get(values: readonly number[], index: number): number {
  return values[index] ?? 0;
}

export function bump(values: number[], index: number, amount: number): void {
  values[index] = get(values, index) + amount;
}

/**
 * Numbers for an open but bounded set of keys (event types, channels), a fixed number of
 * columns per key, in insertion order; serialization sorts the keys so that order never shows.
 */
export interface Sparse<
  Keys extends readonly string[] = readonly string[],
  Values extends readonly number[] = readonly number[],
> {
  readonly keys: Keys;
  readonly values: Values;
}
export type SparseDraft = Sparse<string[], number[]>;

/** A copy with column c of every key multiplied by factors[c] (so factors.length is the width). */
export function rescaledSparse(sparse: Sparse, factors: readonly number[]): SparseDraft {
  const width = factors.length;
  const values = sparse.values.slice();
  for (let row = 0; row < values.length; row += width) {
    for (let c = 0; c < width; c++) values[row + c] = get(values, row + c) * get(factors, c);
  }
  return { keys: sparse.keys.slice(), values };
}

/**
 * Adds to a one-column key, creating it in key order if needed: new keys are rare and reads are
 * many, so reads never sort.
 */
export function addToSparse(sparse: SparseDraft, key: string, amount: number): void {
  const at = sparse.keys.indexOf(key);
  if (at >= 0) return bump(sparse.values, at, amount);
  let before = 0;
  while (before < sparse.keys.length && (sparse.keys[before] ?? key) < key) before++;
  sparse.keys.splice(before, 0, key);
  sparse.values.splice(before, 0, amount);
}

/** a + b, key by key, for one-column sparse sums. */
export function mergedSparse(a: Sparse, b: Sparse): SparseDraft {
  const out: SparseDraft = { keys: a.keys.slice(), values: a.values.slice() };
  b.keys.forEach((key, k) => addToSparse(out, key, get(b.values, k)));
  return out;
}

export function columnSum(sparse: Sparse, column: number, width: number): number {
  let sum = 0;
  for (let i = column; i < sparse.values.length; i += width) sum += get(sparse.values, i);
  return sum;
}

/** Orders [key, value] entries by key, for output that never shows insertion order. */
export function byKey(a: readonly [string, unknown], b: readonly [string, unknown]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** Instants that were never reached are ±Infinity inside and null outside. */
export function finiteOrNull(instant: number): number | null {
  return Number.isFinite(instant) ? instant : null;
}
