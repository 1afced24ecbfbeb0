import { createMetricSet } from '@rapport/lifecycle';

/**
 * The query API's Prometheus metrics, on a registry of its own (tests build many APIs); the HTTP
 * shell adds its request, latency and rejection metrics to the same set.
 */
export function createMetrics() {
  const metrics = createMetricSet('rapport_api');
  return {
    ...metrics,
    streams: metrics.gauge('streams_open', { help: 'Server-Sent Events connections open' }),
    streamsRefused: metrics.counter('streams_refused_total', {
      help: 'Server-Sent Events connections refused at the caps (in all or per key)',
    }),
    streamed: metrics.counter('stream_events_total', {
      help: 'State changes sent to Server-Sent Events clients',
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
