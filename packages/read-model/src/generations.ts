import { scanKeys, unlinkKeys, type RedisClient } from './cluster.js';
import { z } from 'zod';
import { StoreError } from './errors.js';
import type { KeySpace } from './keys.js';
import type { ShardCounts } from './shards.js';

/** Which generation readers use, the consumer group whose offsets match it, and its layout. */
export const PointerSchema = z.object({
  generation: z.string().regex(/^\d+$/),
  groupId: z.string().min(1),
  /**
   * The index shards the generation was built with, which every reader and writer of it uses.
   * Pointers written before shards existed name generations of one.
   */
  shards: z.int().min(1).default(1),
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
    /** Each generation's index shard count: what this class parses and allocates is recorded. */
    private readonly counts: ShardCounts,
  ) {}

  /** The generation readers use: generation 0 and the configured group until a replay switched. */
  async pointer(): Promise<Pointer> {
    return this.parsePointer(await this.redis.get(this.keys.pointer));
  }

  /**
   * The pointer, after recording generation 0 with the configured shard count if the store is
   * new: what a projector starts from. A store that already holds generation 0 without a pointer
   * (every store from before shards) keeps it as it is, one shard.
   */
  async establish(): Promise<Pointer> {
    const shards = this.counts.configured;
    if (shards > 1) {
      const legacy = { index: 0, count: 1 };
      // Both in the one-shard layout's slot: one command, on a Cluster too.
      const used = await this.redis.exists(
        this.keys.index('0', legacy).schedule,
        this.keys.progress('0', this.groupId, legacy),
      );
      if (used === 0) {
        const pointer = { generation: '0', groupId: this.groupId, shards };
        await this.redis.set(this.keys.pointer, JSON.stringify(pointer), 'NX');
      }
    }
    return this.pointer();
  }

  /** A stored pointer as read by any command (a pipeline's reply included). */
  parsePointer(value: unknown): Pointer {
    const pointer = this.#parse(value);
    this.counts.record(pointer.generation, pointer.shards);
    return pointer;
  }

  #parse(value: unknown): Pointer {
    if (value === null || value === undefined) {
      return { generation: '0', groupId: this.groupId, shards: 1 };
    }
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
    const key = this.keys.progress(generation, groupId, {
      index: 0,
      count: this.counts.of(generation),
    });
    const stored = await this.redis.hgetall(key);
    return new Map(
      Object.entries(stored).map(([partition, offset]) => [Number(partition), Number(offset)]),
    );
  }

  /**
   * A generation never used before, for a replay to build into, with the consumer group of its
   * own that feeds it (named after the configured group) and the configured shard count.
   */
  async allocate(): Promise<Pointer> {
    const generation = await this.#nextGeneration();
    const shards = this.counts.configured;
    this.counts.record(generation, shards);
    return { generation, groupId: `${this.groupId}.g${generation}`, shards };
  }

  /**
   * What to tell an operator whose configured shard count is not the live generation's, or
   * undefined: the generation is read and written with its own count, so a new count needs a
   * new generation.
   */
  shardCountNotice(pointer: Pointer): string | undefined {
    const configured = this.counts.configured;
    if (pointer.shards === configured) return undefined;
    return (
      `generation ${pointer.generation} has ${pointer.shards} index shard(s) and ` +
      `RAPPORT_REDIS_INDEX_SHARDS is ${configured}: it is read and written with ` +
      `${pointer.shards} until \`rapport replay\` builds a generation with ${configured}`
    );
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
