import { describe, expect, it } from 'vitest';
import { partitionWarnings } from './topics.js';

describe('partitionWarnings', () => {
  it('warns about topics with fewer partitions than configured, only', () => {
    const counts = new Map([
      ['a', 3],
      ['b', 12],
      ['c', 24],
    ]);
    const warnings = partitionWarnings(counts, 12);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('topic a has 3 partition(s), fewer than the configured 12');
  });
});
