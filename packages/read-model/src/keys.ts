/**
 * Where everything lives in Redis. Two kinds of keys, so that the read model works on Redis
 * Cluster, where a script may only touch keys of one hash slot:
 *
 * - per customer, `<prefix><generation>:{<customerId>}`, a hash of its revision and positions,
 *   and beside it `…:d`, its state, history and timeline (logs.ts); in stores of the layouts
 *   before, the state and logs in the hash's `d` and `l`, or its `:h` (history) and `:e`
 *   (timeline) lists, until its next write: the `{customerId}` hash tag keeps a customer's keys
 *   in one slot, so the guarded write is one script;
 * - the global indexes and the change stream in the index shards' slots: `<prefix>{index}:` when
 *   there is one shard (the layout of every store before shards existed), `<prefix>{index:<k>}:`
 *   for shard k of several (RAPPORT_REDIS_INDEX_SHARDS). A customer's entries are in one shard
 *   (shards.ts), so its index update and a list walk of one shard are one script each; the
 *   projectors' progress is in shard 0.
 *
 * A generation is one complete build of the read model from the log; `rapport replay` builds a
 * new one beside the live one and then moves the pointer (see generation.ts).
 */
export interface CustomerKeys {
  /** A hash: revision, positions, the merge's fields; in the layouts before, the state too. */
  readonly record: string;
  /** A string: the state, history and timeline (logs.ts). */
  readonly data: string;
  /** The history and timeline lists of the layout before (logs.ts), read until adopted. */
  readonly history: string;
  readonly timeline: string;
}

export interface IndexKeys {
  /** Hash customerId → `revision|coolingAt|atRiskAt|dormantAt`: what the indexes say, and when. */
  readonly schedule: string;
  /** Sorted set by predicted at-risk crossing; only customers not yet dormant. */
  readonly atRisk: string;
  /** Sorted set by predicted dormancy instant; every customer. */
  readonly dormant: string;
}

/** Shard `index` of a generation's `count` index shards. */
export interface IndexShard {
  readonly index: number;
  readonly count: number;
}

/** Every shard of a layout of `count`, in order. */
export function indexShards(count: number): IndexShard[] {
  return Array.from({ length: count }, (_, index) => ({ index, count }));
}

export class KeySpace {
  constructor(readonly prefix: string) {}

  /** The pointer to the generation readers use and the consumer group that feeds it. */
  get pointer(): string {
    return `${this.prefix}generation`;
  }

  /** Allocates generation numbers, so an abandoned build never collides with the next. */
  get generationCounter(): string {
    return `${this.prefix}generation:counter`;
  }

  /**
   * State changes of a shard's customers, of every generation with that layout: subscribers
   * keep their place across a replay's switch. In the shard's slot, so the index script appends
   * to it in the same atomic step.
   */
  changes(shard: IndexShard): string {
    return `${this.#indexSlot(shard)}:changes`;
  }

  customer(generation: string, customerId: string): CustomerKeys {
    const record = `${this.prefix}${generation}:{${customerId}}`;
    return { record, data: `${record}:d`, history: `${record}:h`, timeline: `${record}:e` };
  }

  index(generation: string, shard: IndexShard): IndexKeys {
    const base = `${this.#indexSlot(shard)}:${generation}`;
    return { schedule: `${base}:schedule`, atRisk: `${base}:at_risk`, dormant: `${base}:dormant` };
  }

  /**
   * Hash partition → last offset applied, per consumer group: what `rapport replay` compares.
   * Kept in shard 0 (`{ index: 0, count }`); another shard's is only named, as the index script's
   * key of that shard's slot, and never written.
   */
  progress(generation: string, groupId: string, shard: IndexShard): string {
    return `${this.#indexSlot(shard)}:${generation}:progress:${groupId}`;
  }

  /** Every key of a generation, whatever its shard count, for deleting a replaced one. */
  generationPatterns(generation: string): string[] {
    const prefix = globEscaped(this.prefix);
    // `{index}` or `{index:<k>}`: no other key holds `}:<generation>:` after `{index`.
    return [`${prefix}${generation}:*`, `${prefix}\\{index*\\}:${generation}:*`];
  }

  /** Whether a key is in an index shard's slot, of any layout (the sweeps of erasure.ts). */
  isIndexKey(key: string): boolean {
    return (
      /^\{index(?::\d+)?\}:/.test(key.slice(this.prefix.length)) && key.startsWith(this.prefix)
    );
  }

  /** One shard's hash tag: `{index}` alone keeps the layout of stores from before shards. */
  #indexSlot({ index, count }: IndexShard): string {
    return count === 1 ? `${this.prefix}{index}` : `${this.prefix}{index:${index}}`;
  }
}

/** A literal for SCAN MATCH: the prefix is the operator's and may hold glob characters. */
export function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\{}]/g, (character) => `\\${character}`);
}
