import { scanKeys, unlinkKeys, type RedisClient } from './cluster.js';
import { z } from 'zod';
import { StoreError } from './errors.js';
import type { KeySpace } from './keys.js';

/** Which generation readers use, and the consumer group whose offsets match it. */
export const PointerSchema = z.object({
  generation: z.string().regex(/^\d+$/),
  groupId: z.string().min(1),
});
export type Pointer = z.infer<typeof PointerSchema>;

const TextSchema = z.string();

/**
 * The generations of the read model: the pointer readers and live projectors follow, each
 * group's progress into a generation, and the life cycle `rapport replay` drives (allocate a
 * new generation, build it, switch to it, drop the old one).
 */
export class Generations {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeySpace,
    /** The consumer group that feeds generation 0, the one before any replay. */
    private readonly groupId: string,
  ) {}

  /** The generation readers use: generation 0 and the configured group until a replay switched. */
  async pointer(): Promise<Pointer> {
    return this.parsePointer(await this.redis.get(this.keys.pointer));
  }

  /** A stored pointer as read by any command (a pipeline's reply included). */
  parsePointer(value: unknown): Pointer {
    if (value === null || value === undefined) return { generation: '0', groupId: this.groupId };
    try {
      return PointerSchema.parse(JSON.parse(TextSchema.parse(value)));
    } catch (error) {
      throw new StoreError(
        'STORE_RECORD_INVALID',
        `${this.keys.pointer} is not a generation pointer: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  /** Last offset applied per partition by a consumer group into a generation. */
  async progress(generation: string, groupId: string): Promise<Map<number, number>> {
    const stored = await this.redis.hgetall(this.keys.progress(generation, groupId));
    return new Map(
      Object.entries(stored).map(([partition, offset]) => [Number(partition), Number(offset)]),
    );
  }

  /**
   * A generation never used before, for a replay to build into, with the consumer group of its
   * own that feeds it (named after the configured group).
   */
  async allocate(): Promise<Pointer> {
    const generation = await this.#nextGeneration();
    return { generation, groupId: `${this.groupId}.g${generation}` };
  }

  async #nextGeneration(): Promise<string> {
    const { generation } = await this.pointer();
    const next = await this.redis.incr(this.keys.generationCounter);
    if (next > Number(generation)) return String(next);
    await this.redis.set(this.keys.generationCounter, generation);
    return String(await this.redis.incr(this.keys.generationCounter));
  }

  /** Moves readers and live projectors to another generation. */
  async switchTo(pointer: Pointer): Promise<void> {
    await this.redis.set(this.keys.pointer, JSON.stringify(PointerSchema.parse(pointer)));
  }

  /** Deletes every key of a generation (a replaced one, or an abandoned build); returns how many. */
  async drop(generation: string): Promise<number> {
    let deleted = 0;
    for (const match of this.keys.generationPatterns(generation)) {
      for await (const keys of scanKeys(this.redis, match, 1000)) {
        deleted += await unlinkKeys(this.redis, keys);
      }
    }
    return deleted;
  }
}
