import { createModel } from '@rapport/model';
import { Projection, type PositionedEvent, type ReadModel } from '@rapport/read-model';

/** Events per customer of a benchmark's population. */
export const EVENTS_PER_CUSTOMER = 10;
const DAY = 86_400_000;

const TYPES = [
  ['email.sent', 'email', 'outbound'],
  ['email.replied', 'email', 'inbound'],
  ['support.ticket_opened', 'support', 'inbound'],
  ['support.ticket_resolved', 'support', 'outbound'],
  ['chat.message', 'chat', 'inbound'],
  ['page.viewed', 'web', 'inbound'],
  ['purchase.completed', 'store', 'inbound'],
] as const;

/**
 * `customers` customers (`customer-<n>`) with ten events each over the last 60 days, projected
 * into generation 0 as the projector would: the read side's benchmarks' population.
 */
export async function populate(store: ReadModel, customers: number, runId: string): Promise<void> {
  const projection = new Projection(store.writer, createModel(), {
    generation: '0',
    groupId: 'bench',
    follow: false,
    announce: false,
  });
  const now = Date.now();
  let offset = 0;
  for (let first = 0; first < customers; first += 200) {
    const batch: PositionedEvent[] = [];
    for (let customer = first; customer < Math.min(customers, first + 200); customer += 1) {
      for (let index = 0; index < EVENTS_PER_CUSTOMER; index += 1) {
        const [type, channel, direction] = TYPES[(customer + index) % TYPES.length] ?? TYPES[0];
        batch.push({
          partition: 0,
          offset: String(offset++),
          value: {
            eventId: `bench-${runId}-${offset}`,
            customerId: `customer-${customer}`,
            channel,
            type,
            direction,
            occurredAt: new Date(now - ((customer * 7 + index * 13) % 60) * DAY).toISOString(),
            receivedAt: new Date(now).toISOString(),
            source: 'http',
          },
        });
      }
    }
    await projection.project(0, batch, now);
  }
}

/** The benchmarks' skew: Zipf(1.1), as web and SaaS traffic is commonly modelled. */
export const ZIPF_EXPONENT = 1.1;

/**
 * Zipf(s) over 1..n by inverse CDF: customer 1 is the busiest. How a real population's traffic
 * falls (a few customers most of it, a long tail rarely), for the benchmarks that drive one.
 */
export function zipf(n: number, s: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let rank = 1; rank <= n; rank += 1) cdf[rank - 1] = sum += rank ** -s;
  return () => {
    const target = Math.random() * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cdf[middle] ?? 0) < target) low = middle + 1;
      else high = middle;
    }
    return low + 1;
  };
}
