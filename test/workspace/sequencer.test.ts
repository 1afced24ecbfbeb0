import { describe, expect, it } from 'vitest';
import { LONG_FILE_MS, planFiles } from '../harness/sequencer.js';

/** The order in which the suite's files reach the workers (test/harness/sequencer.ts). */
describe('the planned order of the test files', () => {
  const long = (name: string, seconds: number) => ({ name, ms: seconds * 1_000 });
  const short = (index: number) => ({ name: `short-${index}`, ms: 10_000 });
  const plan = (files: { name: string; ms?: number }[], workers = 3) =>
    planFiles(files, workers, (file) => file.ms).map((file) => file.name);

  it('runs the long files one at a time, longest first, the others beside them', () => {
    const shorts = Array.from({ length: 12 }, (_, index) => short(index));
    expect(LONG_FILE_MS).toBeLessThanOrEqual(40_000);
    // While the 50 s file runs, two workers take ten 10 s files; then the 40 s one starts.
    expect(plan([short(0), long('forty', 40), ...shorts.slice(1), long('fifty', 50)])).toEqual([
      'fifty',
      ...shorts.slice(0, 10).map((file) => file.name),
      'forty',
      'short-10',
      'short-11',
    ]);
  });

  it('starts two long files together only once nothing else is left', () => {
    expect(plan([long('a', 50), short(0), long('b', 40)])).toEqual(['a', 'short-0', 'b']);
  });

  it('puts files not measured yet first, in the order they came', () => {
    expect(plan([short(0), { name: 'new-1' }, long('a', 50), { name: 'new-2' }], 2)).toEqual([
      'new-1',
      'new-2',
      'a',
      'short-0',
    ]);
  });
});
