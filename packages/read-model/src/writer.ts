import type { Model } from '@rapport/model';
import type { ChainableCommander } from 'ioredis';
import { pipelineOn, replicated, type RedisClient } from './cluster.js';
import { z } from 'zod';
import type { Generations, Pointer } from './generations.js';
import { indexShards, type IndexShard, type KeySpace } from './keys.js';
import { shardOf, type ShardCounts } from './shards.js';
import { framedAs, loadLogs, type LogEntries } from './logs.js';
import {
  ALIAS_PREFIX,
  queueRecordRead,
  RECORD_FIELDS,
  recordAt,
  scriptedRecord,
  type StoredCustomer,
} from './record.js';
import { run } from './replies.js';

/** The lengths of what the writer keeps per customer and in the change stream. */
export interface WriterLimits {
  readonly historyLength: number;
  readonly timelineLength: number;
  readonly changeStreamLength: number;
  /** Replicas a batch's writes must reach before it counts as projected (RAPPORT_REDIS_WAIT_REPLICAS). */
  readonly waitReplicas: number;
}

/** How long a batch waits for its replicas before it fails, to be retried. */
const REPLICATION_TIMEOUT_MS = 5_000;

export interface CustomerWrite {
  readonly customerId: string;
  /** The revision read before folding; 0 for a customer not stored yet. */
  readonly expectedRevision: number;
  readonly partition: number;
  /** The largest offset among the events folded in. */
  readonly offset: number;
  readonly data: Buffer | string;
  /** The history point of the state written (history.ts). */
  readonly snapshot: Buffer;
  /** The events folded (timeline.ts), oldest first; at most the timeline length. */
  readonly timeline: readonly Buffer[];
  /** Where the positions are kept: `o` (the default) or, for a merged id's events, `a:<id>`. */
  readonly offsetsField?: string;
}

/** A customer's record with the positions of the ids merged into it (`a:<id>` → positions). */
export interface WholeRecord {
  readonly stored: StoredCustomer | undefined;
  readonly aliases: ReadonlyMap<string, string>;
}

/** What a survivor stores when it absorbs a merged customer (see the ABSORB script). */
export interface AbsorbWrite {
  readonly customerId: string;
  readonly expectedRevision: number;
  readonly data: Buffer;
  readonly snapshot: Buffer;
  /** `a:<merged id>`: present once absorbed. */
  readonly marker: string;
  /** The merged customer's positions under the marker, and those of the ids merged into it. */
  readonly fields: readonly (readonly [string, string])[];
  /** The merged customer's timeline as stored (timelineLog). */
  readonly timeline: LogEntries;
}

export type CommitOutcome =
  | { readonly outcome: 'applied'; readonly revision: number }
  /** Everything up to this offset was already applied (redelivery, replay, zombie). */
  | { readonly outcome: 'stale'; readonly revision: number }
  /** Someone wrote the customer since it was read: read again and fold again. */
  | { readonly outcome: 'conflict'; readonly revision: number };

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

const CommitReplySchema = z.tuple([z.literal([1, 0, -1]), z.int()]);
const OUTCOMES = { 1: 'applied', 0: 'stale', [-1]: 'conflict' } as const;
const IndexReplySchema = z.array(z.string().nullable());

function parseOutcome(reply: unknown): CommitOutcome {
  const [code, revision] = CommitReplySchema.parse(reply);
  return { outcome: OUTCOMES[code], revision };
}

/** `null` for -∞ (never, or already past) keeps the score order of the index. */
const score = (instant: number | null) => (instant === null ? '-inf' : String(instant));

/**
 * The write path, in the order a projection uses it: `load` the customers a batch touches,
 * `commit` their folded states through the guarded script, then `index` them (indexes, change
 * stream, the group's progress). Each is one round trip.
 */
export class ReadModelWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly model: Model,
    private readonly keys: KeySpace,
    private readonly generations: Generations,
    private readonly counts: ShardCounts,
    readonly limits: WriterLimits,
  ) {}

  /**
   * Once every write sent so far is on the replicas asked for: what a projection awaits before its
   * batch may be committed, so that a master's failover cannot lose a write the log will not
   * bring again.
   */
  replicated(): Promise<void> {
    return replicated(this.redis, this.limits.waitReplicas, REPLICATION_TIMEOUT_MS);
  }

  /**
   * The stored state of each customer, with the pointer read in the same round trip so that a
   * live projector notices a replay's switch before it writes. The hash and the data key are two
   * reads, not the query API's READ script (a script call costs Redis more): a write landing
   * between them pairs an older revision with a newer state, and the guarded write of that
   * revision then conflicts and reads again.
   */
  async load(
    generation: string,
    customerIds: readonly string[],
  ): Promise<{ pointer: Pointer; customers: Map<string, StoredCustomer | undefined> }> {
    const pipeline = pipelineOn(this.redis).get(this.keys.pointer);
    const keys = customerIds.map((id) => this.keys.customer(generation, id));
    for (const customer of keys) queueRecordRead(pipeline, customer);
    const [pointer, ...replies] = await run(pipeline);
    const customers = new Map<string, StoredCustomer | undefined>();
    customerIds.forEach((id, index) => {
      customers.set(id, recordAt(this.model, keys[index]!, replies, index * 2));
    });
    return { pointer: this.generations.parsePointer(pointer), customers };
  }

  /** The guarded writes, in one round trip; one outcome per write, in order. */
  async commit(generation: string, writes: readonly CustomerWrite[]): Promise<CommitOutcome[]> {
    if (writes.length === 0) return [];
    const pipeline = pipelineOn(this.redis);
    for (const write of writes) {
      const keys = this.keys.customer(generation, write.customerId);
      const timeline = framedAs(write.timeline, false);
      pipeline.rapportCommit(
        keys.record,
        keys.data,
        keys.history,
        keys.timeline,
        write.expectedRevision,
        write.partition,
        write.offset,
        write.data,
        this.limits.historyLength,
        this.limits.timelineLength,
        framedAs([write.snapshot], false).body,
        write.offsetsField ?? 'o',
        timeline.body,
        timeline.count,
      );
    }
    return (await run(pipeline)).map(parseOutcome);
  }

  /**
   * One customer's whole record, the positions of the ids merged into it included (its history
   * and timeline come along in its data key; a merge carries them over inside the scripts).
   */
  async loadWhole(generation: string, customerId: string): Promise<WholeRecord> {
    const keys = this.keys.customer(generation, customerId);
    const reply = await this.redis.rapportWholeBuffer(
      keys.record,
      keys.data,
      ALIAS_PREFIX,
      ...RECORD_FIELDS,
    );
    const { stored, rest } = scriptedRecord(this.model, keys.record, reply);
    const aliases = new Map<string, string>();
    for (let at = 0; at + 1 < rest.length; at += 2) {
      aliases.set(rest[at]!.toString('utf8'), rest[at + 1]!.toString('utf8'));
    }
    return { stored, aliases };
  }

  /**
   * Makes a customer a pointer at `into` (the TOMBSTONE script), keeping its record for the
   * survivor to absorb; `emptyData` is stored for one never written.
   */
  async tombstone(
    generation: string,
    customerId: string,
    expectedRevision: number,
    into: string,
    emptyData: Buffer,
  ): Promise<CommitOutcome> {
    const keys = this.keys.customer(generation, customerId);
    return parseOutcome(
      await this.redis.rapportTombstone(keys.record, keys.data, expectedRevision, into, emptyData),
    );
  }

  /** The survivor absorbs a merged customer (the ABSORB script): `stale` when it already had. */
  async absorb(generation: string, write: AbsorbWrite): Promise<CommitOutcome> {
    const keys = this.keys.customer(generation, write.customerId);
    return parseOutcome(
      await this.redis.rapportAbsorb(
        keys.record,
        keys.data,
        keys.history,
        keys.timeline,
        write.expectedRevision,
        write.data,
        this.limits.historyLength,
        this.limits.timelineLength,
        framedAs([write.snapshot], false).body,
        write.marker,
        write.fields.length,
        ...write.fields.flat(),
        write.timeline.body,
        write.timeline.count,
      ),
    );
  }

  /** A customer's timeline as stored, for its survivor to take over as it is. */
  async timelineLog(generation: string, customerId: string): Promise<LogEntries> {
    return (await loadLogs(this.redis, this.keys.customer(generation, customerId))).timeline;
  }

  /** A merged customer leaves the indexes (the UNINDEX script). */
  async unindex(generation: string, customerId: string, revision: number): Promise<void> {
    const count = this.counts.of(generation);
    const shard = { index: shardOf(customerId, count), count };
    const keys = this.keys.index(generation, shard);
    await this.redis.rapportUnindex(keys.schedule, keys.atRisk, keys.dormant, customerId, revision);
  }

  /**
   * The index updates and the projector's progress, in one round trip of one script call per
   * index shard touched and INDEX_CHUNK customers (each call in one shard's slot). Returns the
   * stream id of each change appended, in the order of `entries` (undefined where the index
   * already had that revision).
   *
   * The progress is recorded once every update is applied. With one shard every call is in one
   * slot, so they run in order and the progress rides with the last. Several shards' calls run
   * on their own nodes in any order, so there the progress is a call of its own, to shard 0,
   * once they are answered.
   */
  async index(
    generation: string,
    entries: readonly IndexEntry[],
    now: number,
    progress: Progress,
  ): Promise<(string | undefined)[]> {
    const { groupId, offsets } = progress;
    if (entries.length === 0 && offsets.length === 0) return [];
    const count = this.counts.of(generation);
    const calls = indexCalls(entries, count);
    const carried = count === 1;
    const pipeline = pipelineOn(this.redis);
    calls.forEach(({ shard, positions }, call) => {
      const last = carried && call === calls.length - 1;
      this.#indexCall(
        pipeline,
        generation,
        groupId,
        shard,
        now,
        positions.map((at) => entries[at]!),
        last ? offsets : [],
      );
    });
    const ids = entries.map((): string | undefined => undefined);
    const replies = calls.length > 0 ? await run(pipeline) : [];
    replies.forEach((reply, call) => {
      const positions = calls[call]?.positions ?? [];
      IndexReplySchema.parse(reply).forEach((id, at) => {
        ids[positions[at] ?? 0] = id || undefined;
      });
    });
    if (!carried && offsets.length > 0) {
      const last = pipelineOn(this.redis);
      this.#indexCall(last, generation, groupId, { index: 0, count }, now, [], offsets);
      await run(last);
    }
    return ids;
  }

  #indexCall(
    pipeline: ChainableCommander,
    generation: string,
    groupId: string,
    shard: IndexShard,
    now: number,
    entries: readonly IndexEntry[],
    offsets: Progress['offsets'],
  ): void {
    const keys = this.keys.index(generation, shard);
    pipeline.rapportIndex(
      keys.schedule,
      keys.atRisk,
      keys.dormant,
      this.keys.changes(shard),
      this.keys.progress(generation, groupId, shard),
      now,
      this.limits.changeStreamLength,
      entries.length,
      ...entries.flatMap((entry) => [
        entry.customerId,
        entry.revision,
        score(entry.coolingAt),
        score(entry.atRiskAt),
        score(entry.dormantAt),
        entry.change,
      ]),
      ...offsets.flatMap(({ partition, offset }) => [partition, offset]),
    );
  }
}

/**
 * The script calls of an index update: per shard (in shard order), its entries' positions in
 * `entries`, INDEX_CHUNK to a call; one call of no customers when there are no entries, for the
 * progress alone.
 */
function indexCalls(
  entries: readonly IndexEntry[],
  count: number,
): { readonly shard: IndexShard; readonly positions: number[] }[] {
  const byShard = indexShards(count).map(() => [] as number[]);
  entries.forEach((entry, at) => byShard[shardOf(entry.customerId, count)]?.push(at));
  const calls = byShard.flatMap((positions, index) =>
    Array.from({ length: Math.ceil(positions.length / INDEX_CHUNK) }, (_, call) => ({
      shard: { index, count },
      positions: positions.slice(call * INDEX_CHUNK, (call + 1) * INDEX_CHUNK),
    })),
  );
  return calls.length > 0 || count > 1 ? calls : [{ shard: { index: 0, count }, positions: [] }];
}
