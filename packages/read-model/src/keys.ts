/**
 * Where everything lives in Redis. Two kinds of keys, so that the read model works on Redis
 * Cluster, where a script may only touch keys of one hash slot:
 *
 * - per customer, `<prefix><generation>:{<customerId>}` and its `:h` (history) and `:e`
 *   (timeline) lists: the `{customerId}` hash tag keeps a customer's keys in one slot, so the
 *   guarded write is one script;
 * - the indexes, the change stream and the projectors' progress under `<prefix>{index}:`: one
 *   slot, so the index update and the list queries are one script each.
 *
 * A generation is one complete build of the read model from the log; `rapport replay` builds a
 * new one beside the live one and then moves the pointer (see generation.ts).
 */
export interface CustomerKeys {
  readonly record: string;
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
   * State changes of every generation: subscribers keep their place across a replay's switch.
   * In the index slot, so the index script appends to it in the same atomic step.
   */
  get changes(): string {
    return `${this.prefix}{index}:changes`;
  }

  customer(generation: string, customerId: string): CustomerKeys {
    const record = `${this.prefix}${generation}:{${customerId}}`;
    return { record, history: `${record}:h`, timeline: `${record}:e` };
  }

  index(generation: string): IndexKeys {
    const base = `${this.prefix}{index}:${generation}`;
    return { schedule: `${base}:schedule`, atRisk: `${base}:at_risk`, dormant: `${base}:dormant` };
  }

  /** Hash partition → last offset applied, per consumer group: what `rapport replay` compares. */
  progress(generation: string, groupId: string): string {
    return `${this.prefix}{index}:${generation}:progress:${groupId}`;
  }

  /** Every key of a generation, for deleting a replaced one. */
  generationPatterns(generation: string): string[] {
    const prefix = globEscaped(this.prefix);
    return [`${prefix}${generation}:*`, `${prefix}\\{index\\}:${generation}:*`];
  }
}

/** A literal for SCAN MATCH: the prefix is the operator's and may hold glob characters. */
export function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\{}]/g, (character) => `\\${character}`);
}
