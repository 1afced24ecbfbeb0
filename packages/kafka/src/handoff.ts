/**
 * Turns kafkajs's push (a batch callback) into a pull (an async iterator) with back-pressure:
 * `put` resolves only once the reader took the value, so a slow reader slows the fetching
 * instead of buffering a whole topic in memory.
 */
export class Handoff<T> implements AsyncIterable<T> {
  readonly #queue: { readonly value: T; readonly taken: () => void }[] = [];
  #wake: (() => void) | undefined;
  #finished = false;
  #cancelled = false;
  #failure: { readonly error: unknown } | undefined;

  /** Resolves when the reader took the value, or at once if the reader has gone. */
  put(value: T): Promise<void> {
    if (this.#cancelled) return Promise.resolve();
    return new Promise((taken) => {
      this.#queue.push({ value, taken });
      this.#notify();
    });
  }

  /** No more values: the reader drains what is queued, then ends. */
  finish(): void {
    this.#finished = true;
    this.#notify();
  }

  /** The reader throws this after draining what is queued. */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#notify();
  }

  /** The reader has gone: release every writer waiting in `put`. */
  cancel(): void {
    this.#cancelled = true;
    for (const { taken } of this.#queue.splice(0)) taken();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        next.taken();
        yield next.value;
      } else if (this.#failure !== undefined) {
        throw this.#failure.error;
      } else if (this.#finished) {
        return;
      } else {
        await new Promise<void>((wake) => (this.#wake = wake));
      }
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
