/**
 * The shard of the global indexes a customer's entries live in, when they are spread over
 * several hash slots (RAPPORT_REDIS_INDEX_SHARDS): FNV-1a (32 bits) of the id's UTF-8 bytes,
 * modulo the count. The placement is stored data (a customer's index entries and changes are
 * where this put them), so the function must stay as it is: stable across processes, versions
 * and languages, and quick (it runs once per customer write).
 */
export function shardOf(customerId: string, count: number): number {
  if (count === 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(customerId, 'utf8')) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return (hash >>> 0) % count;
}

/**
 * The index shard count of each generation this process reads or writes. The count belongs to
 * the data: a generation is built with the configured count and keeps it, recorded in the
 * generation pointer (generations.ts), which records here what it parses or allocates. A
 * generation no pointer named yet is one this process is building: the configured count.
 */
export class ShardCounts {
  readonly #byGeneration = new Map<string, number>();

  constructor(readonly configured: number) {}

  record(generation: string, count: number): void {
    this.#byGeneration.set(generation, count);
  }

  of(generation: string): number {
    return this.#byGeneration.get(generation) ?? this.configured;
  }
}
