import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/**
 * The query API's Prometheus metrics, on a registry of its own (tests build many APIs); the HTTP
 * shell adds its request, latency and rejection metrics to the same registry.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rapport_api_' });
  return {
    registry,
    streams: new Gauge({
      name: 'rapport_api_streams_open',
      help: 'Server-Sent Events connections open',
      registers: [registry],
    }),
    streamsRefused: new Counter({
      name: 'rapport_api_streams_refused_total',
      help: 'Server-Sent Events connections refused at the caps (in all or per key)',
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
