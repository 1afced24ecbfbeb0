import type { StateJson } from './serialize.js';

/**
 * Where two stored states differ beyond rounding, or null when they agree. The same events give
 * the same state in any order, but a floating-point sum depends on the order of its terms in its
 * last bits: sums are compared within `relative` (1e-9), with net trust evidence (which can cancel
 * to near 0) measured against the largest evidence; counts, instants and keys exactly.
 */
export function stateDifference(a: StateJson, b: StateJson, relative = 1e-9): string | null {
  const close = (x: number, y: number, scale = 0) =>
    x === y || Math.abs(x - y) <= relative * Math.max(Math.abs(x), Math.abs(y), scale) + 1e-300;
  if (a.v !== b.v || a.n !== b.n || a.t !== b.t)
    return `v, n, t: ${a.v} ${a.n} ${a.t} / ${b.v} ${b.n} ${b.t}`;
  if (JSON.stringify([a.f, a.z, a.c]) !== JSON.stringify([b.f, b.z, b.c]))
    return 'instants or channel counts';
  for (const key of ['l', 'r', 's'] as const) {
    const i = a[key].findIndex((x, index) => !close(x, b[key][index] ?? NaN));
    if (i >= 0 || a[key].length !== b[key].length)
      return `${key}[${i}]: ${a[key][i]} / ${b[key][i]}`;
  }
  const evidence = Math.max(0, ...a.r, ...b.r);
  for (const type of new Set([...Object.keys(a.k), ...Object.keys(b.k)])) {
    const [x, y] = [rowOf(a, type), rowOf(b, type)];
    const same = close(x[0], y[0]) && close(x[1], y[1]) && close(x[2], y[2], evidence);
    if (!same) return `row ${type}: ${x.join(', ')} / ${y.join(', ')}`;
  }
  return null;
}

function rowOf(json: StateJson, type: string): [number, number, number] {
  const [given = 0, received = 0, evidence = 0] = json.k[type] ?? [];
  return [given, received, evidence];
}
