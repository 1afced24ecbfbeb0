import type { ServiceProcess } from './service.js';

/** The route every benchmark event is posted to. */
const INGEST_ROUTE = '/v1/interactions';

/**
 * The gateway's answers on the ingestion route and its publishes to Kafka, in all and within
 * `seconds` (a bucket bound of both histograms), from one read of its /metrics (a pool's primary
 * sums its workers').
 */
export async function gatewayCounters(gateway: ServiceProcess, seconds: number) {
  const reading = await gateway.metrics();
  const le = String(seconds);
  return {
    answers: reading.sum('rapport_gateway_request_seconds_count', { route: INGEST_ROUTE }),
    answersWithin: reading.sum('rapport_gateway_request_seconds_bucket', {
      route: INGEST_ROUTE,
      le,
    }),
    publishes: reading.sum('rapport_gateway_publish_seconds_count'),
    publishesWithin: reading.sum('rapport_gateway_publish_seconds_bucket', { le }),
  };
}
type GatewayCounters = Awaited<ReturnType<typeof gatewayCounters>>;

/**
 * Answers and publishes slower than the bound between two readings. Beside the load generator's
 * own count of slow answers, they say where a step's slow acknowledgements were slow: inside the
 * gateway (from the request's arrival to its answer), and of those, in Kafka; or outside it
 * (connections, the kernel's scheduling of every process on the way, the load generator).
 */
export const slowBetween = (before: GatewayCounters, after: GatewayCounters) => ({
  gateway: after.answers - after.answersWithin - (before.answers - before.answersWithin),
  publish: after.publishes - after.publishesWithin - (before.publishes - before.publishesWithin),
});
