import { Agent, request } from 'node:http';
import { percentile } from './infra.js';

/**
 * HTTP requests on keep-alive connections, with node:http. fetch (undici) costs the load
 * generator more per request, and a latency benchmark would count that client time as the
 * server's (docs/performance.md, ingestion).
 */
export function httpClient(baseUrl: string, headers: Record<string, string>) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return {
    /** Resolves with the status once the whole answer is read; rejects on a connection error. */
    send(method: 'GET' | 'POST', path: string, body?: string): Promise<number> {
      return new Promise((resolve, reject) => {
        const outgoing = request(
          {
            host: hostname,
            port,
            path,
            method,
            agent,
            headers:
              body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/**
 * Calls `send(i)` `perSecond` times a second for `seconds`, evenly spaced whatever the answers
 * do, and returns the latencies sorted. Each counts from the instant its call was due, so a
 * stall is charged to every call it delayed (no coordinated omission). Rejects if any call did.
 */
export async function openLoop(
  perSecond: number,
  seconds: number,
  send: (index: number) => Promise<unknown>,
): Promise<number[]> {
  const total = perSecond * seconds;
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let sent = 0; sent < total;) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond));
    for (; sent < due; sent += 1) {
      const dueAt = started + (sent / perSecond) * 1000;
      pending.push(send(sent).then(() => void latencies.push(performance.now() - dueAt)));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return latencies.sort((a, b) => a - b);
}

/** A table row: name, count, p50, p99 and max in milliseconds. */
export const latencyRow = (name: string, latencies: readonly number[]) => [
  name,
  latencies.length,
  percentile(latencies, 50).toFixed(1),
  percentile(latencies, 99).toFixed(1),
  (latencies.at(-1) ?? Number.NaN).toFixed(1),
];

/** Rejects unless the status is `expected`: a benchmark must not time errors. */
export function expectStatus(expected: number) {
  return (status: number) => {
    if (status !== expected) throw new Error(`answered ${status}, expected ${expected}`);
  };
}

/** Runs `work` over the items with at most `limit` in flight; returns the elapsed milliseconds. */
export async function timedInFlight<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }),
  );
  return performance.now() - started;
}
