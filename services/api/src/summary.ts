import { StageSchema, StatusSchema, type Model } from '@rapport/model';
import type { ReadModelReader, Summary } from '@rapport/read-model';

/**
 * Customers read per round trip: one ZSCAN step, then one pipeline of their records. A walk is as
 * fast with chunks of 100 as of 1,000, but the other requests of this process wait behind a
 * chunk (its replies on the shared connection, then its decoding on the event loop), so chunks
 * are small (docs/performance.md).
 */
const CHUNK = 100;

const zeros = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

/**
 * Every customer of `generation` counted at instant `at`, each read as `GET /v1/customers/:id`
 * reads them: the model's headline gives the same status and stage as its full reading at a
 * fraction of the cost, and its channel counts are the reading's `ledger.counts.byChannel`, the
 * list's `channel` filter's rule. O(customers): see Summaries for why it is not run per request.
 */
export async function summarize(
  reader: ReadModelReader,
  model: Model,
  generation: string,
  at: number,
): Promise<Summary> {
  const status = zeros(StatusSchema.options);
  const stage = zeros(StageSchema.options);
  const channels: Record<string, number> = {};
  let customers = 0;
  for await (const ids of reader.customerIds(generation, CHUNK)) {
    for (const stored of await reader.customers(generation, ids)) {
      // Indexed but not stored: its generation is being dropped after a replay's switch.
      if (stored === undefined) continue;
      const placed = model.headline(stored.state, at);
      customers += 1;
      status[placed.status] += 1;
      stage[placed.stage] += 1;
      for (const [channel, interactions] of Object.entries(model.channelCounts(stored.state))) {
        if (interactions > 0) channels[channel] = (channels[channel] ?? 0) + 1;
      }
    }
  }
  return { asOf: new Date(at).toISOString(), customers, status, stage, channels };
}

/** How long an answer is served again once read: a dashboard's refresh, not a stale figure. */
const KEEP_MS = 2_000;

/**
 * Summaries shared between requests, per API process. A summary walks every customer, so many
 * dashboards polling it must not each cost a walk:
 *
 * - one walk per (generation, second) runs, and every request for that second is answered by
 *   it, while it runs and for KEEP_MS after;
 * - a request for now also takes the previous second's, and waits for a walk for now that is
 *   still running rather than start another: past some tens of thousands of customers a walk
 *   takes longer than a second, and walks started every second would pile up, each slower for
 *   the others. The answer's `asOf` says which instant it counts.
 *
 * A walk that failed is forgotten at once, so the next request walks again.
 */
export class Summaries {
  readonly #flights = new Map<string, Promise<Summary>>();
  /** Per generation, the walk for now that is running, if one is. */
  readonly #running = new Map<string, Promise<Summary>>();

  constructor(private readonly walk: (generation: string, at: number) => Promise<Summary>) {}

  /**
   * The summary at `at`, read at its whole second (so that one walk answers the whole second);
   * `now` when `at` is the request's own instant rather than one it asked for.
   */
  get(generation: string, at: number, now: boolean): Promise<Summary> {
    const second = Math.floor(at / 1_000);
    const shared =
      this.#flights.get(`${generation}@${second}`) ??
      (now
        ? (this.#flights.get(`${generation}@${second - 1}`) ?? this.#running.get(generation))
        : undefined);
    if (shared !== undefined) return shared;
    const key = `${generation}@${second}`;
    const flight = this.walk(generation, second * 1_000);
    this.#flights.set(key, flight);
    if (now) this.#running.set(generation, flight);
    const landed = () => {
      if (this.#running.get(generation) === flight) this.#running.delete(generation);
    };
    flight.then(
      () => {
        landed();
        setTimeout(() => this.#flights.delete(key), KEEP_MS).unref();
      },
      () => {
        landed();
        this.#flights.delete(key);
      },
    );
    return flight;
  }
}
