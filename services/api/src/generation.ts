import type { Generations, Pointer } from '@rapport/read-model';

/**
 * How long a request may use a cached pointer. `rapport replay` keeps the old generation until
 * readers have had time to move, so a second of staleness costs nothing but saves a round trip
 * on every request.
 */
const POINTER_TTL_MS = 1_000;

/** The generation readers use (its pointer), read at most once a second. */
export class GenerationCache {
  #pointer: Promise<Pointer> | undefined;
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly generations: Generations) {}

  async current(): Promise<string> {
    return (await this.pointer()).generation;
  }

  /** The pointer itself: the generation, and the index shard count it was built with. */
  pointer(): Promise<Pointer> {
    const now = performance.now();
    if (this.#pointer === undefined || now - this.#readAt > POINTER_TTL_MS) {
      this.#readAt = now;
      this.#pointer = this.generations.pointer();
      this.#pointer.catch(() => {
        this.#pointer = undefined; // The next request asks again rather than failing forever.
      });
    }
    return this.#pointer;
  }
}
