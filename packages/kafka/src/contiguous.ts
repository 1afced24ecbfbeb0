/**
 * Which offset of a batch may be committed when its records finish in any order: the last one
 * of the unbroken run of finished records from the batch start. Committing past an unfinished
 * record would lose it on the next rebalance or restart, since the group resumes from the
 * commit; so a record finished early waits for its predecessors. Offsets are tracked by their
 * position in the batch, not by arithmetic: compaction and transaction markers leave gaps.
 */
export class ContiguousRun {
  readonly #offsets: readonly string[];
  readonly #positions: ReadonlyMap<string, number>;
  readonly #finished: boolean[];
  #length = 0;

  constructor(offsets: readonly string[]) {
    this.#offsets = offsets;
    this.#positions = new Map(offsets.map((offset, position) => [offset, position]));
    this.#finished = offsets.map(() => false);
  }

  /** Marks one offset finished; returns the run's new last offset if the run grew. */
  finish(offset: string): string | undefined {
    const position = this.#positions.get(offset);
    if (position === undefined) throw new RangeError(`offset ${offset} is not in this batch`);
    this.#finished[position] = true;
    const before = this.#length;
    while (this.#finished[this.#length] === true) this.#length += 1;
    return this.#length > before ? this.resolved : undefined;
  }

  /** The last offset of the finished run from the batch start, if any record finished. */
  get resolved(): string | undefined {
    return this.#offsets[this.#length - 1];
  }
}
