/**
 * Shares one offset commit among the batches that finish together. kafkajs, left to commit on its
 * own, sends an OffsetCommit after every partition's batch, each carrying every partition's
 * uncommitted offsets; a consumer that handles a fetch's partitions together (the projector, the
 * bridge) finishes them in the same turn, so that was one identical commit per partition per
 * fetch, a dozen writes to `__consumer_offsets` where one does.
 *
 * A commit waits for the turn's other batches (`setImmediate`) and for the commit before it, then
 * commits whatever is resolved by then; a batch that finishes while one is in flight joins the
 * next. Every caller's promise settles with the commit that covers its offsets.
 */
export class CommitCoalescer {
  #next: Promise<void> | undefined;
  #previous: Promise<void> = Promise.resolve();

  /**
   * `commitResolved` commits every offset resolved so far; the first caller's is the one used,
   * so all callers must commit for the same consumer (any batch payload of one consumer does).
   */
  commit(commitResolved: () => Promise<void>): Promise<void> {
    if (this.#next) return this.#next;
    const next = this.#previous
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        // From here on the offsets are read: later batches need a commit of their own.
        this.#next = undefined;
        return commitResolved();
      });
    this.#next = next;
    this.#previous = next.catch(() => undefined);
    return next;
  }
}
