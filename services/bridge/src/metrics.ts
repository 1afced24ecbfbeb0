import { consumerMetrics, createMetricSet } from '@rapport/lifecycle';
import { RateWindow } from './rate.js';

/**
 * The bridge's Prometheus metrics, on a registry of its own (tests start several bridges).
 * Counters for `rate()`; the per-second gauges are the same over the last ten seconds, for a
 * person reading `/metrics` directly.
 */
export function createMetrics() {
  const metrics = createMetricSet('rapport_bridge');
  const eventRate = new RateWindow();
  const signalRate = new RateWindow();
  const events = metrics.counter('events_total', {
    help: 'Events delivered to customer workflows (accepted by Temporal)',
  });
  const signals = metrics.counter('signals_total', {
    help: 'signalWithStart calls accepted by Temporal',
  });
  const eventsPerSignal = metrics.histogram('events_per_signal', {
    help: 'Events coalesced into one signal (one customer, one batch)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  });
  metrics.gauge('events_per_second', {
    help: 'Events delivered per second over the last ten seconds',
    collect() {
      this.set(eventRate.perSecond(Date.now()));
    },
  });
  metrics.gauge('signals_per_second', {
    help: 'Signals accepted per second over the last ten seconds',
    collect() {
      this.set(signalRate.perSecond(Date.now()));
    },
  });
  return {
    ...metrics,
    ...consumerMetrics(metrics),
    /** One accepted signal carrying `count` events. */
    delivered(count: number): void {
      const now = Date.now();
      events.inc(count);
      signals.inc();
      eventsPerSignal.observe(count);
      eventRate.add(count, now);
      signalRate.add(1, now);
    },
    signalSeconds: metrics.histogram('signal_seconds', {
      help: 'Time for Temporal to accept one signalWithStart, retries included',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    retries: metrics.counter('signal_retries_total', {
      help: 'signalWithStart attempts that failed and were retried in place (Temporal or Redis down)',
    }),
    erased: metrics.counter('erased_skipped_total', {
      help: 'Events of erased customers skipped (the suppression list), never delivered',
    }),
    /**
     * Consumer lag by partition, in time: how old the newest record of the partition's last
     * batch was when its signals were all accepted (kafkajs's offset lag is not exposed here).
     */
    lagSeconds: metrics.gauge('lag_seconds', {
      help: 'Age of the newest delivered record of each partition when its batch was done',
      labelNames: ['partition'] as const,
    }),
    batchSeconds: metrics.histogram('batch_seconds', {
      help: 'Time to deliver one consumed batch (all its signals accepted)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
