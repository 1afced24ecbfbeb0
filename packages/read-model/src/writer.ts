import type { Model } from '@rapport/model';
import { pipelineOn, type RedisClient } from './cluster.js';
import { z } from 'zod';
import type { Generations, Pointer } from './generations.js';
import type { KeySpace } from './keys.js';
import { ALIAS_PREFIX, decodeRecord, RECORD_FIELDS, type StoredCustomer } from './record.js';
import { run } from './replies.js';

/** The lengths of what the writer keeps per customer and in the change stream. */
export interface WriterLimits {
  readonly historyLength: number;
  readonly timelineLength: number;
  readonly changeStreamLength: number;
}

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
  readonly snapshot: string;
  /** `a:<merged id>`: present once absorbed. */
  readonly marker: string;
  /** The merged customer's positions under the marker, and those of the ids merged into it. */
  readonly fields: readonly (readonly [string, string])[];
  /** The merged customer's timeline, newest first. */
  readonly timeline: readonly string[];
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
const FieldsSchema = z.array(z.instanceof(Buffer).nullable());
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
    readonly limits: WriterLimits,
  ) {}

  /**
   * The stored state of each customer, with the pointer read in the same round trip so that a
   * live projector notices a replay's switch before it writes.
   */
  async load(
    generation: string,
    customerIds: readonly string[],
  ): Promise<{ pointer: Pointer; customers: Map<string, StoredCustomer | undefined> }> {
    const pipeline = pipelineOn(this.redis).get(this.keys.pointer);
    for (const id of customerIds) {
      pipeline.hmgetBuffer(this.keys.customer(generation, id).record, ...RECORD_FIELDS);
    }
    const [pointer, ...records] = await run(pipeline);
    const customers = new Map<string, StoredCustomer | undefined>();
    customerIds.forEach((id, index) => {
      const key = this.keys.customer(generation, id).record;
      customers.set(id, decodeRecord(this.model, key, FieldsSchema.parse(records[index])));
    });
    return { pointer: this.generations.parsePointer(pointer), customers };
  }

  /** The guarded writes, in one round trip; one outcome per write, in order. */
  async commit(generation: string, writes: readonly CustomerWrite[]): Promise<CommitOutcome[]> {
    if (writes.length === 0) return [];
    const pipeline = pipelineOn(this.redis);
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
        this.limits.historyLength,
        this.limits.timelineLength,
        write.snapshot,
        write.offsetsField ?? 'o',
        ...write.timeline,
      );
    }
    return (await run(pipeline)).map(parseOutcome);
  }

  /** One customer's whole record, the positions of the ids merged into it included. */
  async loadWhole(generation: string, customerId: string): Promise<WholeRecord> {
    const key = this.keys.customer(generation, customerId).record;
    const fields = new Map(Object.entries(await this.redis.hgetallBuffer(key)));
    const stored = decodeRecord(
      this.model,
      key,
      RECORD_FIELDS.map((name) => fields.get(name) ?? null),
    );
    const aliases = new Map<string, string>();
    for (const [name, value] of fields) {
      if (name.startsWith(ALIAS_PREFIX)) aliases.set(name, value.toString('utf8'));
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
    const key = this.keys.customer(generation, customerId).record;
    return parseOutcome(await this.redis.rapportTombstone(key, expectedRevision, into, emptyData));
  }

  /** The survivor absorbs a merged customer (the ABSORB script): `stale` when it already had. */
  async absorb(generation: string, write: AbsorbWrite): Promise<CommitOutcome> {
    const keys = this.keys.customer(generation, write.customerId);
    return parseOutcome(
      await this.redis.rapportAbsorb(
        keys.record,
        keys.history,
        keys.timeline,
        write.expectedRevision,
        write.data,
        this.limits.historyLength,
        this.limits.timelineLength,
        write.snapshot,
        write.marker,
        write.fields.length,
        ...write.fields.flat(),
        ...write.timeline,
      ),
    );
  }

  /** A customer's timeline as stored, newest first. */
  async timelineEntries(generation: string, customerId: string): Promise<string[]> {
    return this.redis.lrange(this.keys.customer(generation, customerId).timeline, 0, -1);
  }

  /** A merged customer leaves the indexes (the UNINDEX script). */
  async unindex(generation: string, customerId: string, revision: number): Promise<void> {
    const keys = this.keys.index(generation);
    await this.redis.rapportUnindex(keys.schedule, keys.atRisk, keys.dormant, customerId, revision);
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
    // Every key in the index slot: a pipeline of one node, on a Cluster too.
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
        this.limits.changeStreamLength,
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
}
