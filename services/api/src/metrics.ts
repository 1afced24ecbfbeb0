import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The query API's Prometheus metrics, on a registry of its own (tests build many APIs). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rapport_api_' });
  return {
    registry,
    requests: new Counter({
      name: 'rapport_api_requests_total',
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    seconds: new Histogram({
      name: 'rapport_api_request_seconds',
      help: 'Time to answer, by route (streams excluded)',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    streams: new Gauge({
      name: 'rapport_api_streams_open',
      help: 'Server-Sent Events connections open',
      registers: [registry],
    }),
    streamed: new Counter({
      name: 'rapport_api_stream_events_total',
      help: 'State changes sent to Server-Sent Events clients',
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
