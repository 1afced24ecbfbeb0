import { describe, expect, it } from 'vitest';
import { ContiguousRun } from './contiguous.js';

describe('ContiguousRun', () => {
  it('grows only from the batch start, whatever order records finish in', () => {
    const run = new ContiguousRun(['10', '11', '12', '13']);
    expect(run.finish('12')).toBeUndefined();
    expect(run.resolved).toBeUndefined();
    expect(run.finish('10')).toBe('10');
    expect(run.finish('11')).toBe('12');
    expect(run.resolved).toBe('12');
    expect(run.finish('13')).toBe('13');
  });

  it('follows the batch positions across offset gaps (compaction, transaction markers)', () => {
    const run = new ContiguousRun(['5', '9', '40']);
    expect(run.finish('9')).toBeUndefined();
    expect(run.finish('5')).toBe('9');
    expect(run.finish('40')).toBe('40');
  });

  it('ignores a record finished twice and refuses an offset from another batch', () => {
    const run = new ContiguousRun(['1', '2']);
    expect(run.finish('1')).toBe('1');
    expect(run.finish('1')).toBeUndefined();
    expect(() => run.finish('3')).toThrow(RangeError);
  });

  it('never resolves past an unfinished record (every finishing order of 6 records)', () => {
    const offsets = ['0', '1', '2', '3', '4', '5'];
    for (const order of permutations(offsets)) {
      const run = new ContiguousRun(offsets);
      const finished = new Set<string>();
      for (const offset of order) {
        run.finish(offset);
        finished.add(offset);
        const resolved = Number(run.resolved ?? -1);
        expect(offsets.slice(0, resolved + 1).every((o) => finished.has(o))).toBe(true);
        expect(finished.has(String(resolved + 1))).toBe(false);
      }
      expect(run.resolved).toBe('5');
    }
  });
});

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [
      item,
      ...rest,
    ]),
  );
}
