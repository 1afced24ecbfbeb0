import type { WorkerStatus } from '@temporalio/worker';
import type { ActivityMetrics, NotifyOutcome } from '@rapport/workflows';

/**
 * The worker's metrics in Prometheus text format: a handful of counters and the SDK's own
 * worker status, which is all an operator needs to see that tasks flow.
 */
export class WorkerMetrics implements ActivityMetrics {
  #derived = 0;
  readonly #notified: Record<NotifyOutcome, number> = { delivered: 0, skipped: 0, failed: 0 };

  derivedPublished(count: number): void {
    this.#derived += count;
  }

  notified(outcome: NotifyOutcome): void {
    this.#notified[outcome] += 1;
  }

  render(status: WorkerStatus): string {
    const lines = [
      ...metric('rapport_worker_running', 'gauge', '1 while the worker polls its task queue', [
        ['', status.runState === 'RUNNING' ? 1 : 0],
      ]),
      ...metric(
        'rapport_worker_workflow_activations_in_flight',
        'gauge',
        'Workflow activations being processed',
        [['', status.numInFlightWorkflowActivations]],
      ),
      ...metric('rapport_worker_activities_in_flight', 'gauge', 'Activities being executed', [
        ['', status.numInFlightActivities],
      ]),
      ...metric(
        'rapport_worker_derived_events_total',
        'counter',
        'Derived events published to the interaction log',
        [['', this.#derived]],
      ),
      ...metric(
        'rapport_worker_notifications_total',
        'counter',
        'Follow-up webhook notifications by outcome',
        Object.entries(this.#notified).map(([outcome, count]) => [`{outcome="${outcome}"}`, count]),
      ),
    ];
    return `${lines.join('\n')}\n`;
  }
}

function metric(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  samples: readonly (readonly [string, number])[],
): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...samples.map(([labels, value]) => `${name}${labels} ${value}`),
  ];
}
