import { createMetricSet } from '@rapport/lifecycle';

/**
 * The gateway's Prometheus metrics, on a registry of its own (tests build many gateways); the HTTP
 * shell adds its request, latency and rejection metrics to the same set.
 */
export function createMetrics() {
  const metrics = createMetricSet('rapport_gateway');
  return {
    ...metrics,
    events: metrics.counter('events_total', {
      help: 'Events by source and outcome (accepted, duplicate, dead_lettered)',
      labelNames: ['source', 'outcome'] as const,
    }),
    webhookRefusals: metrics.counter('webhook_refusals_total', {
      help: 'Webhooks refused by their channel’s verification, by channel and error code',
      labelNames: ['channel', 'code'] as const,
    }),
    publishSeconds: metrics.histogram('publish_seconds', {
      help: 'Time from publish to Kafka acknowledgement',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
