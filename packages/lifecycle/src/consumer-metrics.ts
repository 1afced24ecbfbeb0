import type { MetricSet } from './metrics.js';

/** A partition whose records in hand wait to be finished (what a Kafka consumer's `waiting()` gives). */
export interface WaitingPartition {
  readonly waitingMs: number;
  /** Waiting past RAPPORT_STALL_AFTER. */
  readonly stalled: boolean;
}

/**
 * The metrics of a service that consumes the interaction log (the projector, the bridge): its
 * dead letters by reason, and how long its partitions' records in hand have waited. A process
 * pool's primary sums them across its workers, but for the longest wait, which it takes the
 * largest of (a partition is one worker's at a time).
 */
export function consumerMetrics(metrics: MetricSet) {
  let waiting: () => readonly WaitingPartition[] = () => [];
  const deadLettered = metrics.counter('dead_lettered_total', {
    help: 'Records sent to the dead-letter topic, by reason (INVALID_RECORD, HANDLER_FAILED, ...)',
    labelNames: ['reason'] as const,
  });
  metrics.gauge('stalled_partitions', {
    help: 'Partitions whose records have waited longer than RAPPORT_STALL_AFTER without advancing',
    collect() {
      this.set(waiting().filter((wait) => wait.stalled).length);
    },
  });
  metrics.gauge('partition_wait_seconds', {
    help: "The longest any partition's records in hand have waited without it advancing (0: none)",
    aggregator: 'max',
    collect() {
      this.set(Math.max(0, ...waiting().map((wait) => wait.waitingMs)) / 1000);
    },
  });
  return {
    /** Letters the dead-letter topic took (a DeadLetterTarget's `onLettered`). */
    deadLettered: (reason: string, count: number) => deadLettered.inc({ reason }, count),
    /** Where the waiting partitions are read from, once a consumer runs. */
    watchPartitions(source: () => readonly WaitingPartition[]): void {
      waiting = source;
    },
  };
}
