import type { Interaction, StampedInteraction } from '@rapport/schema';
import { CLIENT_MIX, INTERACTION_MIX } from './interaction-mix.js';
import { zipf } from './population.js';

const DAY = 86_400_000;

/**
 * A population's live traffic: customers drawn from Zipf(`exponent`) over `known` customers (a
 * few busy ones, a long tail), and a share `newShare` of events from customers never seen before,
 * each its own (a new workflow, a new record); the types from `CLIENT_MIX`. Every event has an
 * id of its own: the gateway de-duplicates by id, and a repeat would never reach Kafka.
 */
export class PipelineTraffic {
  readonly #draw: () => number;
  #sequence = 0;
  #newCustomers = 0;

  constructor(
    private readonly options: {
      readonly runId: string;
      readonly known: number;
      readonly exponent: number;
      readonly newShare: number;
    },
  ) {
    this.#draw = zipf(options.known, options.exponent);
  }

  /** The id of the known customer of Zipf rank `rank` (1 is the busiest). */
  knownId(rank: number): string {
    return `c-${this.options.runId}-${rank}`;
  }

  /** One event of the mix for `customerId`, happening at `at` (epoch ms). */
  event(customerId: string, at: number): Interaction {
    const [type, channel, direction] =
      CLIENT_MIX[Math.floor(Math.random() * CLIENT_MIX.length)] ?? INTERACTION_MIX[0];
    this.#sequence += 1;
    // Support and chat come in threads; the customer's opening message waits for an answer (an
    // SLA timer in the workflow, as a real desk's tickets open them).
    const threaded = channel === 'support' || channel === 'chat';
    const opens =
      type === 'support.ticket_opened' || (type === 'chat.message' && direction === 'inbound');
    return {
      eventId: `p-${this.options.runId}-${this.#sequence}`,
      customerId,
      channel,
      type,
      direction,
      occurredAt: new Date(at).toISOString(),
      ...(threaded ? { threadId: `t-${customerId}-${this.#sequence % 3}` } : {}),
      ...(opens ? { expectsResponse: true } : {}),
      ...(Math.random() < 0.3
        ? { sentiment: Math.round((Math.random() * 2 - 1) * 100) / 100 }
        : {}),
    };
  }

  /** A customer of the live traffic: a known one by Zipf rank, or now and then a new one. */
  customer(): string {
    if (Math.random() < this.options.newShare) {
      this.#newCustomers += 1;
      return `new-${this.options.runId}-${this.#newCustomers}`;
    }
    return this.knownId(this.#draw());
  }

  /**
   * Request bodies (`{ batch }` of `batch` events, as SDKs send) for `seconds` at `perSecond`
   * events/s, each event dated when its request is due from `start` (epoch ms).
   */
  *bodies(perSecond: number, seconds: number, batch: number, start: number): Generator<string> {
    const requests = Math.ceil((perSecond * seconds) / batch);
    for (let request = 0; request < requests; request += 1) {
      const at = start + (request * batch * 1000) / perSecond;
      const events = Array.from({ length: batch }, () => this.event(this.customer(), at));
      yield JSON.stringify({ batch: events });
    }
  }

  /**
   * The known customers' past: `perCustomer` events each over the last 60 days, stamped as the
   * gateway publishes them, so the pipeline starts with every known customer's record and
   * workflow in place.
   */
  *history(perCustomer: number, now: number): Generator<StampedInteraction> {
    const receivedAt = new Date(now).toISOString();
    for (let rank = 1; rank <= this.options.known; rank += 1) {
      for (let index = 0; index < perCustomer; index += 1) {
        const at = now - Math.floor(Math.random() * 60 * DAY);
        // No threads: requests two months old would all be decided missed as the history
        // settles, verdicts and backfilled drops the worker would still be publishing at the
        // first step, work of an import rather than of the live traffic measured.
        const {
          threadId: _threadId,
          expectsResponse: _expectsResponse,
          ...event
        } = this.event(this.knownId(rank), at);
        yield { ...event, receivedAt, source: 'http' };
      }
    }
  }
}
