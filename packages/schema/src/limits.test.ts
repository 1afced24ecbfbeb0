import { describe, expect, it } from 'vitest';
import { futureIssues, INGEST_LIMITS } from './limits.js';

describe('futureIssues', () => {
  const now = Date.parse('2026-01-01T12:00:00.000Z');
  const at = (ms: number) => ({ occurredAt: new Date(ms).toISOString() });

  it('accepts events up to five minutes ahead and refuses later ones', () => {
    expect(futureIssues(at(now + INGEST_LIMITS.maxFutureMs), now)).toEqual([]);
    expect(futureIssues(at(now - 86_400_000), now)).toEqual([]);
    expect(futureIssues(at(now + INGEST_LIMITS.maxFutureMs + 1), now)).toEqual([
      { path: 'occurredAt', message: 'is more than 5 minutes in the future' },
    ]);
  });
});
