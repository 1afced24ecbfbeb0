/** Element i of a fixed-layout vector (the layouts are constants, so it always exists). */
export function get(values: readonly number[], index: number): number {
  return values[index] ?? 0;
}

export function bump(values: number[], index: number, amount: number): void {
  values[index] = get(values, index) + amount;
}

/**
 * Numbers for an open but bounded set of keys (event types, channels), a fixed number of
 * columns per key.
 */
export interface Sparse {
  readonly keys: readonly string[];
  readonly values: readonly number[];
}

/**
 * A sparse table being built by one fold step. Its values are a private copy; its keys are
 * shared with the state it came from until a key is added, and then replaced, never mutated:
 * keys change rarely, and not copying them on every event is a good part of the fold's speed.
 */
export interface SparseDraft {
  keys: readonly string[];
  values: number[];
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
  sparse.keys = sparse.keys.toSpliced(before, 0, key);
  sparse.values.splice(before, 0, amount);
}

/** a + b, key by key, for one-column sparse sums. */
export function mergedSparse(a: Sparse, b: Sparse): SparseDraft {
  const out: SparseDraft = { keys: a.keys, values: a.values.slice() };
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
