import type { Config } from '@rapport/config';
import type { Model, Status } from '@rapport/model';
import type { ChainableCommander, Redis } from 'ioredis';
import { z } from 'zod';
import { StoreError } from './errors.js';
import { KeySpace } from './keys.js';
import { decodeData } from './codec.js';
import { connectRedis } from './connect.js';
import { decodeRecord, RECORD_FIELDS, type StoredCustomer } from './record.js';
import { defineScripts } from './scripts.js';
import {
  ChangeSchema,
  snapshotOf,
  StoredSnapshotSchema,
  TimelineEntrySchema,
  type Change,
  type Snapshot,
  type TimelineEntry,
} from './views.js';

export interface ReadModelOptions {
  readonly keyPrefix: string;
  readonly historyLength: number;
  readonly timelineLength: number;
  readonly changeStreamLength: number;
  /** The consumer group that feeds generation 0, the one before any replay. */
  readonly groupId: string;
  /** Customers whose last write is kept (see remember), about 400 bytes of heap each. */
  readonly cacheSize?: number;
}

const DEFAULT_CACHE_SIZE = 20_000;

/** What a guarded write stored: its revision and positions, and the `d` field (codec.ts). */
export interface WrittenRecord {
  readonly revision: number;
  readonly offsets: ReadonlyMap<number, number>;
  readonly data: Buffer;
}

/** A remembered write: as written, but the `d` field's bytes kept as a latin1 string. */
export interface Remembered extends Omit<WrittenRecord, 'data'> {
  readonly data: string;
}

/** Which generation readers use, and the consumer group whose offsets match it. */
export const PointerSchema = z.object({
  generation: z.string().regex(/^\d+$/),
  groupId: z.string().min(1),
});
export type Pointer = z.infer<typeof PointerSchema>;

export interface CustomerWrite {
  readonly customerId: string;
  /** The revision read before folding; 0 for a customer not stored yet. */
  readonly expectedRevision: number;
  readonly partition: number;
  /** The largest offset among the events folded in. */
  readonly offset: number;
  readonly data: Buffer | string;
  readonly snapshot: string;
  /** Oldest first; at most the timeline length. */
  readonly timeline: readonly string[];
}

export type CommitOutcome =
  | { readonly outcome: 'applied'; readonly revision: number }
  /** Everything up to this offset was already applied (redelivery, replay, zombie). */
  | { readonly outcome: 'stale'; readonly revision: number }
  /** Someone wrote the customer since it was read: read again and fold again. */
  | { readonly outcome: 'conflict'; readonly revision: number };

const CommitReplySchema = z.tuple([z.literal([1, 0, -1]), z.int()]);
const OUTCOMES = { 1: 'applied', 0: 'stale', [-1]: 'conflict' } as const;

export interface IndexEntry {
  readonly customerId: string;
  readonly revision: number;
  readonly coolingAt: number | null;
  readonly atRiskAt: number | null;
  readonly dormantAt: number | null;
  /** The change's payload (see changePayload), appended if the index moves; '' for none. */
  readonly change: string;
}

/** How far a consumer group has projected into a generation: the last offset per partition. */
export interface Progress {
  readonly groupId: string;
  readonly offsets: readonly { readonly partition: number; readonly offset: number }[];
}

/**
 * Customers per index script call: a call's own cost is shared by many, and Redis, which runs a
 * script without interruption, is never held for more than a few milliseconds.
 */
export const INDEX_CHUNK = 256;

export type ListIndex = 'at_risk' | 'dormant';

export interface ListQuery {
  readonly index: ListIndex;
  /** The statuses listed; empty for any. */
  readonly statuses: readonly Status[];
  readonly order: 'asc' | 'desc';
  readonly now: number;
  readonly after?: { readonly score: string; readonly customerId: string } | undefined;
  readonly wanted: number;
  /** Index entries looked at, at most, so a rare filter cannot make one call walk everything. */
  readonly budget: number;
}

export interface ListPage {
  readonly found: readonly { readonly customerId: string; readonly score: string }[];
  /** Where the walk stopped; undefined when the index is exhausted. */
  readonly next?: { readonly score: string; readonly customerId: string };
}

const ListReplySchema = z.tuple([z.array(z.string()), z.string(), z.string()]);
// Built once: a zod schema costs far more to build than to run.
const FieldsSchema = z.array(z.instanceof(Buffer).nullable());
const IndexReplySchema = z.array(z.string().nullable());
const TextSchema = z.string();
const PayloadSchema = z.record(z.string(), z.unknown());
const StreamEntriesSchema = z.array(z.tuple([z.string(), z.array(z.string())]));

export interface ChangeEntry {
  readonly id: string;
  readonly change: Change;
}

/** `null` for -∞ (never, or already past) keeps the score order of the index. */
const score = (instant: number | null) => (instant === null ? '-inf' : String(instant));

/**
 * The Redis read model: customers' states behind guarded writes, the indexes, the history and
 * timeline lists, the change stream and the generation pointer. Every read parses.
 */
export class ReadModel {
  readonly keys: KeySpace;
  /** What this process last wrote per customer, encoded, least recently written first out. */
  readonly #cache = new Map<string, Remembered>();

  constructor(
    readonly redis: Redis,
    readonly model: Model,
    readonly options: ReadModelOptions,
  ) {
    this.keys = new KeySpace(options.keyPrefix);
    defineScripts(redis);
  }

  /** Closes the connection once the commands sent are answered. */
  async close(): Promise<void> {
    await this.redis.quit();
  }

  /** The generation readers use: generation 0 and the configured group until a replay switched. */
  async pointer(): Promise<Pointer> {
    return this.parsePointer(await this.redis.get(this.keys.pointer));
  }

  /**
   * The stored state of each customer, in one round trip. With `follow`, the pointer is read in
   * the same round trip, so a live projector notices a replay's switch before it writes.
   */
  async load(
    generation: string,
    customerIds: readonly string[],
  ): Promise<{ pointer: Pointer; customers: Map<string, StoredCustomer | undefined> }> {
    const pipeline = this.redis.pipeline().get(this.keys.pointer);
    for (const id of customerIds) {
      pipeline.hmgetBuffer(this.keys.customer(generation, id).record, ...RECORD_FIELDS);
    }
    const [pointer, ...records] = await run(pipeline);
    const customers = new Map<string, StoredCustomer | undefined>();
    customerIds.forEach((id, index) => {
      const key = this.keys.customer(generation, id).record;
      customers.set(id, decodeRecord(this.model, key, FieldsSchema.parse(records[index])));
    });
    return { pointer: this.parsePointer(pointer), customers };
  }

  /** The guarded writes, in one round trip; one outcome per write, in order. */
  async commit(generation: string, writes: readonly CustomerWrite[]): Promise<CommitOutcome[]> {
    if (writes.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const write of writes) {
      const keys = this.keys.customer(generation, write.customerId);
      pipeline.rapportCommit(
        keys.record,
        keys.history,
        keys.timeline,
        write.expectedRevision,
        write.partition,
        write.offset,
        write.data,
        this.options.historyLength,
        this.options.timelineLength,
        write.snapshot,
        ...write.timeline,
      );
    }
    return (await run(pipeline)).map((reply) => {
      const [code, revision] = CommitReplySchema.parse(reply);
      return { outcome: OUTCOMES[code], revision };
    });
  }

  /**
   * The index updates and the projector's progress, in one round trip of one script call per
   * INDEX_CHUNK customers (progress with the last). Returns the stream id of each change
   * appended (undefined where the index already had that revision).
   */
  async index(
    generation: string,
    entries: readonly IndexEntry[],
    now: number,
    progress: Progress,
  ): Promise<(string | undefined)[]> {
    const { offsets } = progress;
    if (entries.length === 0 && offsets.length === 0) return [];
    const keys = this.keys.index(generation);
    const progressKey = this.keys.progress(generation, progress.groupId);
    const pipeline = this.redis.pipeline();
    const calls = Math.max(1, Math.ceil(entries.length / INDEX_CHUNK));
    for (let call = 0; call < calls; call++) {
      const chunk = entries.slice(call * INDEX_CHUNK, (call + 1) * INDEX_CHUNK);
      pipeline.rapportIndex(
        keys.schedule,
        keys.atRisk,
        keys.dormant,
        this.keys.changes,
        progressKey,
        now,
        this.options.changeStreamLength,
        chunk.length,
        ...chunk.flatMap((entry) => [
          entry.customerId,
          entry.revision,
          score(entry.coolingAt),
          score(entry.atRiskAt),
          score(entry.dormantAt),
          entry.change,
        ]),
        ...(call === calls - 1
          ? offsets.flatMap(({ partition, offset }) => [partition, offset])
          : []),
      );
    }
    const replies = await run(pipeline);
    return replies.flatMap((reply) => IndexReplySchema.parse(reply).map((id) => id || undefined));
  }

  async customer(generation: string, customerId: string): Promise<StoredCustomer | undefined> {
    const key = this.keys.customer(generation, customerId).record;
    return decodeRecord(this.model, key, await this.redis.hmgetBuffer(key, ...RECORD_FIELDS));
  }

  /** Several customers in one round trip, in the order asked. */
  async customers(
    generation: string,
    customerIds: readonly string[],
  ): Promise<(StoredCustomer | undefined)[]> {
    const { customers } = await this.load(generation, customerIds);
    return customerIds.map((id) => customers.get(id));
  }

  /** Oldest first. */
  async history(generation: string, customerId: string): Promise<Snapshot[]> {
    const entries = await this.redis.lrange(
      this.keys.customer(generation, customerId).history,
      0,
      -1,
    );
    return entries
      .map((entry) => snapshotOf(StoredSnapshotSchema.parse(JSON.parse(entry))))
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Newest first. */
  async timeline(generation: string, customerId: string, limit: number): Promise<TimelineEntry[]> {
    const key = this.keys.customer(generation, customerId).timeline;
    const entries = await this.redis.lrange(key, 0, limit - 1);
    return entries.map((entry) => TimelineEntrySchema.parse(JSON.parse(entry)));
  }

  /** One walk of an index at `now` (see the LIST script). */
  async list(generation: string, query: ListQuery): Promise<ListPage> {
    const keys = this.keys.index(generation);
    const reply = await this.redis.rapportList(
      keys.schedule,
      query.index === 'at_risk' ? keys.atRisk : keys.dormant,
      keys.atRisk,
      query.index,
      query.statuses.join(','),
      query.now,
      query.order,
      query.after?.score ?? '',
      query.after?.customerId ?? '',
      query.wanted,
      query.budget,
    );
    const [pairs, nextScore, nextId] = ListReplySchema.parse(reply);
    const found: { customerId: string; score: string }[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      found.push({ customerId: pairs[i] ?? '', score: pairs[i + 1] ?? '' });
    }
    return nextScore === '' ? { found } : { found, next: { score: nextScore, customerId: nextId } };
  }

  /** Changes after `afterId` (exclusive), oldest first; `'0'` from the start of the stream. */
  async changesAfter(afterId: string, count: number): Promise<ChangeEntry[]> {
    const entries = await this.redis.xrange(this.keys.changes, `(${afterId}`, '+', 'COUNT', count);
    return parseEntries(entries);
  }

  /**
   * Waits up to `blockMs` for changes after `afterId` (`$`: only new ones) on a connection of
   * the caller's: a blocking read holds its connection, so it must not be the shared one.
   */
  async waitForChanges(
    connection: Redis,
    afterId: string,
    options: { readonly count: number; readonly blockMs: number },
  ): Promise<ChangeEntry[]> {
    const reply = await connection.xread(
      'COUNT',
      options.count,
      'BLOCK',
      options.blockMs,
      'STREAMS',
      this.keys.changes,
      afterId,
    );
    if (reply === null) return [];
    return reply.flatMap(([, entries]) => parseEntries(entries));
  }

  /** The id of the oldest change still in the stream; undefined when it is empty. */
  async oldestChangeId(): Promise<string | undefined> {
    const [first] = await this.redis.xrange(this.keys.changes, '-', '+', 'COUNT', 1);
    return first?.[0];
  }

  /** The newest `count` changes, oldest first. */
  async latestChanges(count: number): Promise<ChangeEntry[]> {
    const entries = await this.redis.xrevrange(this.keys.changes, '+', '-', 'COUNT', count);
    return parseEntries(entries.reverse());
  }

  /** The id of the newest change, `0-0` when there is none: where a new subscriber starts. */
  async newestChangeId(): Promise<string> {
    const [last] = await this.redis.xrevrange(this.keys.changes, '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }

  /** Last offset applied per partition by a consumer group into a generation. */
  async progress(generation: string, groupId: string): Promise<Map<number, number>> {
    const stored = await this.redis.hgetall(this.keys.progress(generation, groupId));
    return new Map(
      Object.entries(stored).map(([partition, offset]) => [Number(partition), Number(offset)]),
    );
  }

  /** A generation number never used before, for a replay to build into. */
  async allocateGeneration(): Promise<string> {
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
  async dropGeneration(generation: string): Promise<number> {
    let deleted = 0;
    for (const match of this.keys.generationPatterns(generation)) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        if (keys.length > 0) deleted += await this.redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    return deleted;
  }

  /** What a guarded write just stored, so that the next write need not read it back. */
  remember(generation: string, customerId: string, record: WrittenRecord): void {
    const key = this.keys.customer(generation, customerId).record;
    this.#cache.delete(key);
    // As a one-byte string: a few hundred bytes the garbage collector moves as one, where the
    // decoded state is dozens of objects, and a Buffer would pin a slab of Node's buffer pool.
    this.#cache.set(key, { ...record, data: record.data.toString('latin1') });
    if (this.#cache.size > (this.options.cacheSize ?? DEFAULT_CACHE_SIZE)) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
  }

  /**
   * The customer as last remembered, without asking Redis: only for a writer whose guarded
   * write will refuse it if it is not the stored revision any more. Still encoded: decode it
   * (decodeRemembered) when it is needed, so that the state lives only as long as that.
   */
  recall(generation: string, customerId: string): Remembered | undefined {
    return this.#cache.get(this.keys.customer(generation, customerId).record);
  }

  decodeRemembered({ revision, offsets, data }: Remembered): StoredCustomer {
    return { revision, offsets, ...decodeData(this.model, Buffer.from(data, 'latin1')) };
  }

  forget(generation: string, customerId: string): void {
    this.#cache.delete(this.keys.customer(generation, customerId).record);
  }

  private parsePointer(value: unknown): Pointer {
    if (value === null || value === undefined) {
      return { generation: '0', groupId: this.options.groupId };
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
}

async function run(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

function parseEntries(entries: unknown): ChangeEntry[] {
  return StreamEntriesSchema.parse(entries).map(([id, fields]) => {
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] ?? '', fields[i + 1] ?? '');
    const change = ChangeSchema.parse({
      customerId: values.get('c'),
      ...PayloadSchema.parse(JSON.parse(values.get('v') ?? '{}')),
    });
    return { id, change };
  });
}

/**
 * A read model on its own connection to the configured Redis. A projector pipelines explicitly.
 * The API does not auto-pipeline: ioredis builds a new pipeline for each tick's commands, copying
 * every defined script onto it, and at 2,000 requests/s (about one request a tick) that was one
 * pipeline per request: the API promoted 1,070 KB per scavenge instead of 291, and each scavenge
 * paused it 2.6 ms instead of 1.45 (docs/read-side.md §9).
 */
export function connectReadModel(
  config: Config,
  model: Model,
  options: { readonly cacheSize?: number } = {},
): ReadModel {
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 2 });
  const { cacheSize } = options;
  return new ReadModel(redis, model, {
    ...readModelOptions(config),
    ...(cacheSize === undefined ? {} : { cacheSize }),
  });
}

/** The read model's options as configured (one config, parsed once at start-up). */
export function readModelOptions(config: Config): ReadModelOptions {
  return {
    keyPrefix: config.redis.keyPrefix,
    ...config.readModel,
    groupId: config.projector.groupId,
  };
}
