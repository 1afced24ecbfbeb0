import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The projector's Prometheus metrics, on a registry of its own (tests run several projectors). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rapport_projector_' });
  return {
    registry,
    events: new Counter({
      name: 'rapport_projector_events_total',
      help: 'Events by outcome: applied, or duplicate (already in the stored state, by position)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    customers: new Counter({
      name: 'rapport_projector_customer_writes_total',
      help: 'Customers written (one guarded write per customer per batch)',
      registers: [registry],
    }),
    conflicts: new Counter({
      name: 'rapport_projector_conflicts_total',
      help: 'Guarded writes refused because another writer changed the customer; folded again',
      registers: [registry],
    }),
    moves: new Counter({
      name: 'rapport_projector_generation_moves_total',
      help: 'Switches to a generation built by `rapport replay`',
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'rapport_projector_batch_seconds',
      help: 'Time to project the batches of one fetch (read, fold, guarded write, index)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    freshnessSeconds: new Histogram({
      name: 'rapport_projector_freshness_seconds',
      help: "From the gateway's stamp (receivedAt) to the event's state being written",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
