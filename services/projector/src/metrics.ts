import { consumerMetrics, createMetricSet } from '@rapport/lifecycle';

/** The projector's Prometheus metrics, on a registry of its own (tests run several projectors). */
export function createMetrics() {
  const metrics = createMetricSet('rapport_projector');
  return {
    registry: metrics.registry,
    ...consumerMetrics(metrics),
    events: metrics.counter('events_total', {
      help: 'Events by outcome: applied, or duplicate (already in the stored state by position, or a copy of a recent eventId)',
      labelNames: ['outcome'] as const,
    }),
    customers: metrics.counter('customer_writes_total', {
      help: 'Customers written (one guarded write per customer per batch)',
    }),
    conflicts: metrics.counter('conflicts_total', {
      help: 'Guarded writes refused because another writer changed the customer; folded again',
    }),
    moves: metrics.counter('generation_moves_total', {
      help: 'Switches to a generation built by `rapport replay`',
    }),
    batchSeconds: metrics.histogram('batch_seconds', {
      help: 'Time to project the batches of one fetch (read, fold, guarded write, index)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    freshnessSeconds: metrics.histogram('freshness_seconds', {
      help: "From the gateway's stamp (receivedAt) to the event's state being written",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
