export type NotifyOutcome = 'delivered' | 'skipped' | 'failed';

/** What the activities count, for the worker's `/metrics`. */
export interface ActivityMetrics {
  derivedPublished(count: number): void;
  notified(outcome: NotifyOutcome): void;
}
