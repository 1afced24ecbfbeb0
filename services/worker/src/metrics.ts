import type { WorkerStatus } from '@temporalio/worker';
import { createMetricSet } from '@rapport/lifecycle';
import type { ActivityMetrics, NotifyOutcome } from '@rapport/workflows';

/** Every outcome, each shown from the start (at 0). */
const OUTCOMES: Record<NotifyOutcome, true> = { delivered: true, skipped: true, failed: true };

/**
 * The worker's Prometheus metrics: a handful of counters and the SDK's own worker status, which
 * is all an operator needs to see that tasks flow (no process metrics).
 */
export class WorkerMetrics implements ActivityMetrics {
  readonly #metrics = createMetricSet('rapport_worker', { processMetrics: false });
  readonly #running = this.#metrics.gauge('running', {
    help: '1 while the worker polls its task queue',
  });
  readonly #activations = this.#metrics.gauge('workflow_activations_in_flight', {
    help: 'Workflow activations being processed',
  });
  readonly #activities = this.#metrics.gauge('activities_in_flight', {
    help: 'Activities being executed',
  });
  readonly #derived = this.#metrics.counter('derived_events_total', {
    help: 'Derived events published to the interaction log',
  });
  readonly #notified = this.#metrics.counter('notifications_total', {
    help: 'Follow-up webhook notifications by outcome',
    labelNames: ['outcome'] as const,
  });

  constructor() {
    for (const outcome of Object.keys(OUTCOMES)) this.#notified.inc({ outcome }, 0);
  }

  derivedPublished(count: number): void {
    this.#derived.inc(count);
  }

  notified(outcome: NotifyOutcome): void {
    this.#notified.inc({ outcome });
  }

  /** Prometheus text, with the gauges read from `status`. */
  render(status: WorkerStatus): Promise<string> {
    this.#running.set(status.runState === 'RUNNING' ? 1 : 0);
    this.#activations.set(status.numInFlightWorkflowActivations);
    this.#activities.set(status.numInFlightActivities);
    return this.#metrics.registry.metrics();
  }
}
