import type { WorkerStatus } from '@temporalio/worker';
import { createMetricSet } from '@rapport/lifecycle';
import type { ActivityMetrics, NotifyDestination, NotifyOutcome } from '@rapport/workflows';

/** Every outcome at every kind of destination, each shown from the start (at 0). */
const OUTCOMES: Record<NotifyOutcome, true> = { delivered: true, skipped: true, failed: true };
const DESTINATIONS: Record<NotifyDestination, true> = { webhook: true, slack: true, email: true };

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
    help: 'Follow-up notifications by outcome and kind of destination',
    labelNames: ['outcome', 'destination'] as const,
  });

  constructor() {
    for (const outcome of Object.keys(OUTCOMES)) {
      for (const destination of Object.keys(DESTINATIONS)) {
        this.#notified.inc({ outcome, destination }, 0);
      }
    }
  }

  derivedPublished(count: number): void {
    this.#derived.inc(count);
  }

  notified(outcome: NotifyOutcome, destination: NotifyDestination): void {
    this.#notified.inc({ outcome, destination });
  }

  /** Prometheus text, with the gauges read from `status` (none yet while the worker starts). */
  render(status: WorkerStatus | undefined): Promise<string> {
    this.#running.set(status?.runState === 'RUNNING' ? 1 : 0);
    this.#activations.set(status?.numInFlightWorkflowActivations ?? 0);
    this.#activities.set(status?.numInFlightActivities ?? 0);
    return this.#metrics.registry.metrics();
  }
}
