import { describe, expect, it } from 'vitest';
import { cachedWorkflowsFor } from './cache.js';

describe('the cache sized from the heap', () => {
  it('gives a workflow 2 MiB of what is left after 512 MiB, and never fewer than 100', () => {
    expect(cachedWorkflowsFor(4_144)).toBe(1_816);
    expect(cachedWorkflowsFor(2_048)).toBe(768);
    expect(cachedWorkflowsFor(256)).toBe(100);
  });

  it('reads this process’s heap limit when given none', () => {
    expect(cachedWorkflowsFor()).toBeGreaterThanOrEqual(100);
  });
});
