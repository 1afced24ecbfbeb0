import { ApiClient } from '../../packages/cli/src/clients/api.js';
import { httpClient, openLoop } from './load.js';

/** Epoch milliseconds on this process's monotonic clock: acks and arrivals on one clock. */
const now = () => performance.timeOrigin + performance.now();

interface Tagged {
  readonly id: string;
  /** Sequence number → when the gateway acknowledged it. */
  readonly acked: Map<number, number>;
  /** Sequence number → when a change that includes it came on the stream. */
  readonly arrived: Map<number, number>;
  sent: number;
  /** The highest sequence number a change on the stream has named. */
  seen: number;
}

/** One measuring pass's figures; latencies sorted, an event never seen counted as Infinity. */
export interface Freshness {
  readonly sent: number;
  readonly acked: number;
  readonly seen: number;
  readonly latencies: readonly number[];
}

/**
 * Freshness from the outside, as a client sees it: events of a few tagged customers sent through
 * the gateway, each timed from the gateway's acknowledgement (202) to the moment a change of that
 * customer that includes it arrives on the query API's live stream (`GET /v1/stream?customer=`,
 * one Server-Sent Events connection per tagged customer). A change names the newest event its
 * write folded, and a customer's events are folded in the order they were sent (one Kafka
 * partition, one customer sent to at a time), so a change naming event n delivers every event up
 * to n. Sent by this process at a low rate beside the main load, so their acknowledgements
 * are known exactly, where vegeta's answers cannot be matched to the events they carried.
 */
export class FreshnessProbe {
  readonly #tagged: Tagged[];
  readonly #gateway: ReturnType<typeof httpClient>;
  readonly #streams = new AbortController();

  constructor(
    private readonly options: {
      readonly runId: string;
      readonly customers: number;
      readonly gatewayUrl: string;
      readonly writeKey: string;
      readonly apiUrl: string;
      readonly readKey: string;
    },
  ) {
    this.#gateway = httpClient(options.gatewayUrl, { authorization: `Bearer ${options.writeKey}` });
    this.#tagged = Array.from({ length: options.customers }, (_, index) => ({
      id: `fresh-${options.runId}-${index}`,
      acked: new Map(),
      arrived: new Map(),
      sent: 0,
      seen: 0,
    }));
    const api = new ApiClient({ url: options.apiUrl, key: options.readKey });
    for (const tagged of this.#tagged) void this.#follow(api, tagged);
  }

  async #follow(api: ApiClient, tagged: Tagged): Promise<void> {
    const path = `/v1/stream?customer=${encodeURIComponent(tagged.id)}`;
    for await (const event of api.events(path, this.#streams.signal)) {
      if (event.event !== 'change') continue;
      const at = now();
      const eventId = (JSON.parse(event.data) as { eventId?: string | null }).eventId ?? '';
      const sequence = Number(eventId.slice(eventId.lastIndexOf('-') + 1));
      for (; tagged.seen < sequence;) tagged.arrived.set((tagged.seen += 1), at);
    }
  }

  /**
   * Sends `perSecond` events for `seconds`, open loop, the tagged customers in turn, then waits
   * up to `graceMs` for the changes still to come; the pass's figures.
   */
  async measure(perSecond: number, seconds: number, graceMs: number): Promise<Freshness> {
    const pass: { tagged: Tagged; sequence: number }[] = [];
    const send = async (index: number) => {
      const tagged = this.#tagged[index % this.#tagged.length] as Tagged;
      const sequence = (tagged.sent += 1);
      pass.push({ tagged, sequence });
      const event = {
        eventId: `fresh-${this.options.runId}-${index % this.#tagged.length}-${sequence}`,
        customerId: tagged.id,
        channel: 'app',
        type: 'app.opened',
        direction: 'inbound',
        occurredAt: new Date().toISOString(),
      };
      const status = await this.#gateway
        .send('POST', '/v1/interactions', JSON.stringify(event))
        .catch(() => 0);
      if (status === 202) tagged.acked.set(sequence, now());
    };
    await openLoop(perSecond, seconds, send);
    const deadline = now() + graceMs;
    const waiting = () => pass.some(({ tagged, sequence }) => !tagged.arrived.has(sequence));
    while (waiting() && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const acked = pass.filter(({ tagged, sequence }) => tagged.acked.has(sequence));
    const latencies = acked
      .map(({ tagged, sequence }) => {
        const arrived = tagged.arrived.get(sequence);
        return arrived === undefined ? Infinity : arrived - (tagged.acked.get(sequence) ?? 0);
      })
      .sort((a, b) => a - b);
    return {
      sent: pass.length,
      acked: acked.length,
      seen: latencies.filter(Number.isFinite).length,
      latencies,
    };
  }

  close(): void {
    this.#streams.abort();
    this.#gateway.close();
  }
}
