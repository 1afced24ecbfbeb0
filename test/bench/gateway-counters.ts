import { ADMIN_KEY, type ServiceProcess } from './service.js';

/** The route every benchmark event is posted to. */
const INGEST_ROUTE = '/v1/interactions';

/**
 * The gateway's answers on the ingestion route and its publishes to Kafka, in all and within
 * `seconds` (a bucket bound of both histograms), from one read of its /metrics (a pool's primary
 * sums its workers'). Beside the load generator's own count of slow answers, they say where a
 * step's slow acknowledgements were slow: inside the gateway (from the request's arrival to its
 * answer), and of those, in Kafka; or outside it (connections, the kernel's scheduling of every
 * process on the way, the load generator).
 */
export async function gatewayCounters(gateway: ServiceProcess, seconds: number) {
  const text = await (
    await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  ).text();
  /** The sum of the series of `name` whose labels include every one of `labels`. */
  const sum = (name: string, labels: Readonly<Record<string, string>>) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))]
      .filter(([, found]) =>
        Object.entries(labels).every(([label, value]) => found?.includes(`${label}="${value}"`)),
      )
      .reduce((total, match) => total + Number(match[2]), 0);
  const le = String(seconds);
  return {
    answers: sum('rapport_gateway_request_seconds_count', { route: INGEST_ROUTE }),
    answersWithin: sum('rapport_gateway_request_seconds_bucket', { route: INGEST_ROUTE, le }),
    publishes: sum('rapport_gateway_publish_seconds_count', {}),
    publishesWithin: sum('rapport_gateway_publish_seconds_bucket', { le }),
  };
}
