import { instantMs } from './instant.js';
import type { Interaction } from './interaction.js';
import type { Issue } from './parse.js';

/**
 * What every ingestion path accepts, the same for the gateway and the CSV importer. The sizes are
 * Segment's, which existing clients already respect; events dated further ahead than
 * `maxFutureMs` are refused because a clock that far off would distort decay.
 */
export const INGEST_LIMITS = {
  requestBytes: 500 * 1024,
  eventBytes: 32 * 1024,
  batchEvents: 2_500,
  maxFutureMs: 5 * 60 * 1000,
} as const;

/** The issue of an event dated more than five minutes after `nowMs`, if it is. */
export function futureIssues(event: Pick<Interaction, 'occurredAt'>, nowMs: number): Issue[] {
  return instantMs(event.occurredAt) > nowMs + INGEST_LIMITS.maxFutureMs
    ? [{ path: 'occurredAt', message: 'is more than 5 minutes in the future' }]
    : [];
}
