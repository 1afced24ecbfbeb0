import { describe, expect, it } from 'vitest';
import { RecentSet } from './recent.js';

describe('the latest values', () => {
  it('remember exactly the last `capacity` values, whatever the batches', () => {
    const values = Array.from({ length: 10 }, (_, index) => index);
    const once = new RecentSet(4);
    for (const value of values) once.add(value);
    const resumed = new RecentSet(4, [0, 1, 2, 3, 4, 5]);
    for (const value of values.slice(6)) resumed.add(value);
    expect(once.values()).toEqual([6, 7, 8, 9]);
    expect(resumed.values()).toEqual(once.values());
    expect(once.has(5)).toBe(false);
    expect(once.has(6)).toBe(true);
  });

  it('keep a value added again in its place', () => {
    const set = new RecentSet(3, ['a', 'b']);
    set.add('a');
    set.add('c');
    set.add('d');
    expect(set.values()).toEqual(['b', 'c', 'd']);
    expect(set.has('a')).toBe(false);
  });

  it("absorb another's values as older, ours kept first beyond the capacity", () => {
    const ours = new RecentSet(4, ['c', 'd']);
    ours.absorb(['x', 'y', 'z', 'c']);
    expect(ours.values()).toEqual(['y', 'z', 'c', 'd']);
    expect(ours.has('x')).toBe(false);
  });
});
