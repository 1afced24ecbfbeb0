import type { Admin } from 'kafkajs';

interface Sample {
  readonly at: number;
  /** By group: seconds since the oldest record it has not committed was appended (0: none). */
  readonly seconds: ReadonlyMap<string, number>;
  /** By group: records not committed yet, over every partition. */
  readonly records: ReadonlyMap<string, number>;
}

/**
 * How far consumer groups are behind a topic, in records and in time, polled every `everyMs`
 * from the broker's offsets, whatever the consumers' own metrics say (a consumer stuck in a batch
 * reports nothing new; Rapport's consumers commit after every batch). The time is the age of the
 * oldest record a group has not committed: each poll notes every partition's end offset, so the
 * record at a committed offset was appended by the first poll that saw the end past it (to within
 * one poll; a record already there at the first poll counts from that poll, at least).
 */
export class GroupLagWatch {
  readonly #samples: Sample[] = [];
  /** By partition: [poll time, end offset] each time the end moved. */
  readonly #ends = new Map<number, [number, number][]>();
  #watching = true;
  readonly #polling: Promise<void>;

  constructor(
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly groups: readonly string[],
    everyMs = 1_000,
  ) {
    this.#polling = (async () => {
      while (this.#watching) {
        await this.#poll();
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
  }

  async #poll(): Promise<void> {
    const at = Date.now();
    const [ends, ...committed] = await Promise.all([
      this.admin.fetchTopicOffsets(this.topic),
      ...this.groups.map((groupId) => this.admin.fetchOffsets({ groupId, topics: [this.topic] })),
    ]);
    for (const { partition, high } of ends) {
      const series = this.#ends.get(partition) ?? [];
      if (Number(high) > (series.at(-1)?.[1] ?? -1)) series.push([at, Number(high)]);
      this.#ends.set(partition, series);
    }
    const seconds = new Map<string, number>();
    const records = new Map<string, number>();
    this.groups.forEach((group, index) => {
      const done = new Map(
        (committed[index]?.[0]?.partitions ?? []).map(({ partition, offset }) => [
          partition,
          Number(offset),
        ]),
      );
      let behind = 0;
      let oldest = at;
      for (const { partition, high, low } of ends) {
        // -1: nothing committed yet, so everything still in the log is behind.
        const next = Math.max(done.get(partition) ?? -1, Number(low));
        if (next >= Number(high)) continue;
        behind += Number(high) - next;
        const seen = this.#ends.get(partition)?.find(([, end]) => end > next);
        oldest = Math.min(oldest, seen?.[0] ?? at);
      }
      seconds.set(group, (at - oldest) / 1000);
      records.set(group, behind);
    });
    this.#samples.push({ at, seconds, records });
  }

  /** The group's largest lag in seconds over the polls within [from, to] (epoch ms). */
  maxSeconds(group: string, from: number, to: number): number {
    return this.#samples
      .filter(({ at }) => at >= from && at <= to)
      .reduce((max, sample) => Math.max(max, sample.seconds.get(group) ?? 0), 0);
  }

  /** The group's records behind at a fresh poll. */
  async records(group: string): Promise<number> {
    await this.#poll();
    return this.#samples.at(-1)?.records.get(group) ?? Number.NaN;
  }

  async stop(): Promise<void> {
    this.#watching = false;
    await this.#polling;
  }
}
