import type { Destination } from '../follow-up/destinations/dispatch.js';

export type NotifyOutcome = 'delivered' | 'skipped' | 'failed';
export type NotifyDestination = Destination['kind'];

/** What the activities count, for the worker's `/metrics`. */
export interface ActivityMetrics {
  derivedPublished(count: number): void;
  notified(outcome: NotifyOutcome, destination: NotifyDestination): void;
}
