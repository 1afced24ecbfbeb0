import type { Model, Status } from '@rapport/model';
import { pipelineOn, type RedisClient } from './cluster.js';
import { z } from 'zod';
import { indexShards, type IndexShard, type KeySpace } from './keys.js';
import { mergePages, type ListEntry, type ListPage } from './list-merge.js';
import type { ShardCounts } from './shards.js';
import {
  MAX_MERGE_CHAIN,
  queueRecordRead,
  RECORD_FIELDS,
  recordAt,
  scriptedRecord,
  type StoredCustomer,
} from './record.js';
import { parseChangeEntries, run, type ChangeEntry } from './replies.js';
import { decodeSnapshot } from './history.js';
import { entriesOf, loadLogs, readingLogs } from './logs.js';
import { decodeTimelineEntry } from './timeline.js';
import { snapshotOf, type Snapshot, type TimelineEntry } from './views.js';

export type ListIndex = 'at_risk' | 'dormant';

export interface ListQuery {
  readonly index: ListIndex;
  /** The statuses listed; empty for any. */
  readonly statuses: readonly Status[];
  readonly order: 'asc' | 'desc';
  readonly now: number;
  readonly after?: ListEntry | undefined;
  readonly wanted: number;
  /**
   * Index entries looked at, at most, over every shard, so a rare filter cannot make one call
   * walk everything.
   */
  readonly budget: number;
}

export type { ListPage };

/** A change and the index shard whose stream holds it. */
export interface ShardChange {
  readonly shard: number;
  readonly entry: ChangeEntry;
}

// Built once: a zod schema costs far more to build than to run.
const ListReplySchema = z.tuple([z.array(z.string()), z.string(), z.string()]);
const ScanReplySchema = z.tuple([z.string(), z.array(z.string())]);
const StreamIdSchema = z.string();
const ReadReplySchema = z.array(z.tuple([z.string(), z.unknown()])).nullable();

/** What the query API reads: customers, their history and timeline, the lists, the changes. */
export class ReadModelReader {
  constructor(
    private readonly redis: RedisClient,
    private readonly model: Model,
    private readonly keys: KeySpace,
    private readonly counts: ShardCounts,
  ) {}

  /** One customer, its revision and state read in one step (the READ script): one write's. */
  async customer(generation: string, customerId: string): Promise<StoredCustomer | undefined> {
    const { record, data } = this.keys.customer(generation, customerId);
    const reply = await this.redis.rapportReadBuffer(record, data, ...RECORD_FIELDS);
    return scriptedRecord(this.model, record, reply).stored;
  }

  /**
   * The id at the end of a chain of merges from `id` (itself when it was never merged): where a
   * merged id's reads point.
   */
  async survivorOf(generation: string, id: string): Promise<string> {
    let survivor = id;
    for (let hops = 0; hops < MAX_MERGE_CHAIN; hops += 1) {
      const next = (await this.customer(generation, survivor))?.mergedInto;
      if (next === undefined) return survivor;
      survivor = next;
    }
    return survivor;
  }

  /**
   * Several customers in one round trip, in the order asked, for their states (the list pages,
   * the summary), each by its two plain reads (`queueRecordRead`), not the READ script.
   */
  async customers(
    generation: string,
    customerIds: readonly string[],
  ): Promise<(StoredCustomer | undefined)[]> {
    const pipeline = pipelineOn(this.redis);
    const keys = customerIds.map((id) => this.keys.customer(generation, id));
    for (const customer of keys) queueRecordRead(pipeline, customer);
    const replies = await run(pipeline);
    return keys.map((customer, index) => recordAt(this.model, customer, replies, index * 2));
  }

  /**
   * Oldest first. Sorted from newest first, the order the lists before gave them in: the sort
   * is stable, so points of one instant keep that order.
   */
  async history(generation: string, customerId: string): Promise<Snapshot[]> {
    const keys = this.keys.customer(generation, customerId);
    const { history } = await loadLogs(this.redis, keys);
    return readingLogs(keys.record, () => entriesOf(history).reverse().map(decodeSnapshot))
      .map(snapshotOf)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Newest first. */
  async timeline(generation: string, customerId: string, limit: number): Promise<TimelineEntry[]> {
    const keys = this.keys.customer(generation, customerId);
    const { timeline } = await loadLogs(this.redis, keys);
    return readingLogs(keys.record, () =>
      entriesOf(timeline).reverse().slice(0, limit).map(decodeTimelineEntry),
    );
  }

  /**
   * One walk of an index at `now` (see the LIST script): every shard walks its share of the
   * budget from the same cursor, in one round trip, and the pages are merged (mergePages), so
   * pages and cursors are those of one index.
   */
  async list(generation: string, query: ListQuery): Promise<ListPage> {
    const shards = indexShards(this.counts.of(generation));
    const budget = Math.ceil(query.budget / shards.length);
    const pipeline = pipelineOn(this.redis);
    for (const shard of shards) {
      const keys = this.keys.index(generation, shard);
      pipeline.rapportList(
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
        budget,
      );
    }
    const pages = (await run(pipeline)).map((reply): ListPage => {
      const [pairs, nextScore, nextId] = ListReplySchema.parse(reply);
      const found: ListEntry[] = [];
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        found.push({ customerId: pairs[i] ?? '', score: pairs[i + 1] ?? '' });
      }
      return nextScore === ''
        ? { found }
        : { found, next: { score: nextScore, customerId: nextId } };
    });
    return mergePages(pages, query.order, query.wanted);
  }

  /**
   * Every customer of a generation, about `chunk` ids at a time, each once, in no order: a ZSCAN
   * of each shard's `dormant` index (which holds every customer), so that a walk of the whole
   * population never holds Redis for more than one chunk. ZSCAN returns every member present
   * from start to end at least once, also while writes move them; the ids already given are
   * remembered so that none is given twice (a customer first written during the walk may or may
   * not be).
   */
  async *customerIds(generation: string, chunk: number): AsyncGenerator<string[]> {
    const seen = new Set<string>();
    for (const shard of indexShards(this.counts.of(generation))) {
      const key = this.keys.index(generation, shard).dormant;
      let cursor = '0';
      do {
        const [next, pairs] = ScanReplySchema.parse(
          await this.redis.zscan(key, cursor, 'COUNT', chunk),
        );
        cursor = next;
        const ids: string[] = [];
        // Member, score, member, score…
        for (let i = 0; i < pairs.length; i += 2) {
          const id = pairs[i] ?? '';
          if (seen.has(id)) continue;
          seen.add(id);
          ids.push(id);
        }
        if (ids.length > 0) yield ids;
      } while (cursor !== '0');
    }
  }

  /** A shard's changes after `afterId` (exclusive), oldest first; `'0'` from the start. */
  async changesAfter(shard: IndexShard, afterId: string, count: number): Promise<ChangeEntry[]> {
    const key = this.keys.changes(shard);
    return parseChangeEntries(await this.redis.xrange(key, `(${afterId}`, '+', 'COUNT', count));
  }

  /**
   * Waits up to `blockMs` for changes of some shards, each after its own id, on a connection of
   * the caller's: a blocking read holds its connection, so it must not be the shared one. The
   * shards must be readable by one command (`slotGroups` in cluster.ts).
   */
  async waitForChanges(
    connection: RedisClient,
    after: readonly { readonly shard: IndexShard; readonly afterId: string }[],
    options: { readonly count: number; readonly blockMs: number },
  ): Promise<ShardChange[]> {
    const shardOfKey = new Map(after.map(({ shard }) => [this.keys.changes(shard), shard.index]));
    const reply = ReadReplySchema.parse(
      await connection.xread(
        'COUNT',
        options.count,
        'BLOCK',
        options.blockMs,
        'STREAMS',
        ...after.map(({ shard }) => this.keys.changes(shard)),
        ...after.map(({ afterId }) => afterId),
      ),
    );
    return (reply ?? []).flatMap(([key, entries]) =>
      parseChangeEntries(entries).map((entry) => ({ shard: shardOfKey.get(key) ?? 0, entry })),
    );
  }

  /**
   * The newest id a shard's stream ever removed (trimmed, or deleted by an erasure), or an id
   * between it and the oldest kept (`REMOVED_THROUGH` in scripts.ts), `0-0` when none: a client
   * whose last id is older may have missed changes.
   */
  async removedThrough(shard: IndexShard): Promise<string> {
    return StreamIdSchema.parse(await this.redis.rapportRemovedThrough(this.keys.changes(shard)));
  }

  /** A shard's newest `count` changes, oldest first. */
  async latestChanges(shard: IndexShard, count: number): Promise<ChangeEntry[]> {
    const key = this.keys.changes(shard);
    const entries = await this.redis.xrevrange(key, '+', '-', 'COUNT', count);
    return parseChangeEntries(entries.reverse());
  }

  /** The id of a shard's newest change, `0-0` when there is none: where a new reader starts. */
  async newestChangeId(shard: IndexShard): Promise<string> {
    const [last] = await this.redis.xrevrange(this.keys.changes(shard), '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }
}
