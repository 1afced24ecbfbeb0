/**
 * The latest `capacity` values seen, oldest first, with a set beside them for lookups: how a fold
 * recognises an event the log repeats (a retried publish writes it again within minutes, not
 * days). Exact eviction, so that what is remembered depends only on the order of the values, not
 * on how they were batched. Workflow-safe: no Node built-ins.
 */
export class RecentSet<T> {
  readonly #values: T[];
  readonly #set: Set<T>;

  constructor(
    readonly capacity: number,
    values: readonly T[] = [],
  ) {
    this.#values = values.slice(Math.max(0, values.length - capacity));
    this.#set = new Set(this.#values);
  }

  has(value: T): boolean {
    return this.#set.has(value);
  }

  /** Remembers `value` as the newest (a value already remembered keeps its place). */
  add(value: T): void {
    if (this.#set.has(value)) return;
    this.#values.push(value);
    this.#set.add(value);
    if (this.#values.length > this.capacity) this.#set.delete(this.#values.shift() as T);
  }

  /** Oldest first. */
  values(): T[] {
    return [...this.#values];
  }

  /** Another set's values, as older than ours: beyond the capacity, theirs go first. */
  absorb(theirs: readonly T[]): void {
    const older = theirs.filter((value) => !this.#set.has(value));
    const room = Math.max(0, this.capacity - this.#values.length);
    const kept = older.slice(Math.max(0, older.length - room));
    this.#values.unshift(...kept);
    for (const value of kept) this.#set.add(value);
  }
}
