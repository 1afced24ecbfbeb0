import type { Identities } from '@rapport/identity';
import type { Model } from '@rapport/model';
import { mergeLinkOf } from '@rapport/schema';
import { GenerationMovedError, StoreError } from '../errors.js';
import type { StoredCustomer } from '../record.js';
import type { ReadModelWriter, CommitOutcome, Progress } from '../writer.js';
import { layersOf, type PartitionBatch, type PositionedEvent } from './layers.js';
import { Merger, type Merged } from './merge.js';
import { Planner, type Plan, type PlanContext } from './plan.js';
import { RecentWrites, type Remembered } from './recent-writes.js';

export interface ProjectionOptions {
  /** The generation written. */
  readonly generation: string;
  /** The consumer group feeding it, whose progress is recorded. */
  readonly groupId: string;
  /**
   * A live projector follows the pointer: when readers moved to another generation, it stops
   * writing this one (GenerationMovedError) instead of writing where nobody reads.
   */
  readonly follow: boolean;
  /**
   * Announce changes on the stream; off while a replay builds a generation nobody reads, turned
   * on (`announceChanges`) once readers use it.
   */
  readonly announce: boolean;
  /** Customers whose last write is remembered (see RecentWrites). */
  readonly recentWrites?: number;
  /**
   * The suppression list: events of erased customers are skipped, so nothing brings them back
   * (a live projector, a replay). Without it (unit tests), nothing is skipped.
   */
  readonly identities?: Identities;
}

export interface ProjectionResult {
  readonly events: number;
  /** Events already in the stored state (redelivery, replay, a zombie's duplicate). */
  readonly duplicates: number;
  /** Events of erased customers, skipped. */
  readonly erased: number;
  readonly customers: number;
  /** Compare-and-set conflicts retried (concurrent writers of one customer). */
  readonly conflicts: number;
  /** Stream ids of the changes announced. */
  readonly changes: readonly string[];
}

/**
 * Conflicts need two writers of one customer at once: a zombie during a rebalance, or two
 * partitions right after the partition count grew. A handful of retries covers both; more means
 * something keeps writing the customer, and the batch fails so that it is retried later.
 */
const MAX_ATTEMPTS = 5;
/** Customers folded and sent per pipeline. */
const CHUNK = 256;
/**
 * Chunks whose writes may be in flight at once. Redis runs one chunk's writes while the next is
 * folded; a bound keeps each chunk's objects (states, commands, index entries) short-lived,
 * where folding a whole fetch before the first reply kept everything of it alive until the end.
 */
const WINDOW = 4;

/** What one attempt at a layer's writes found, chunk by chunk. */
interface Attempt {
  readonly conflicted: Set<string>;
  duplicates: number;
}

/**
 * Folds batches of the log into one generation of the read model, exactly once in effect per
 * customer: reads every touched customer in one round trip, folds the events it does not have
 * yet (by position, never by eventId) chunk by chunk, writes each chunk back through the guarded
 * script and, once that is answered, updates the chunk's indexes and the change stream; re-folds
 * those that conflicted; records the progress last. A crash anywhere leaves nothing
 * half-applied: a redelivery skips what was written and (re-)indexes it.
 */
export class Projection {
  readonly #planner: Planner;
  readonly #merger: Merger;
  readonly #recent: RecentWrites;
  #announce: boolean;

  constructor(
    private readonly writer: ReadModelWriter,
    model: Model,
    private readonly options: ProjectionOptions,
  ) {
    this.#planner = new Planner(model);
    this.#merger = new Merger(writer, model, this.#planner, options.generation);
    this.#recent = new RecentWrites(model, options.recentWrites);
    this.#announce = options.announce;
  }

  /** From now on, changes go to the stream: readers have moved to this generation. */
  announceChanges(): void {
    this.#announce = true;
  }

  /** One partition's batch; see projectAll. */
  project(
    partition: number,
    events: readonly PositionedEvent[],
    now: number,
  ): Promise<ProjectionResult> {
    return this.projectAll([{ partition, events }], now);
  }

  /**
   * Several partitions' batches at once, in the same round trips: a projector hands over every
   * partition its fetch returned, so small batches (a steady trickle over many partitions) cost
   * the round trips of one fetch instead of those of each partition.
   */
  async projectAll(batches: readonly PartitionBatch[], now: number): Promise<ProjectionResult> {
    const changes: string[] = [];
    let duplicates = 0;
    let conflicts = 0;
    let customers = 0;
    const progress: Progress = {
      groupId: this.options.groupId,
      offsets: batches.flatMap(({ partition, events }) => {
        const last = events.at(-1);
        return last ? [{ partition, offset: Number(last.offset) }] : [];
      }),
    };
    const { kept, erased } = await this.#withoutErased(batches);
    // Links first: a customer merged in this batch then takes its own events of the batch as
    // the pointer it became (redirected to the survivor), whichever partition they came from.
    for (const { events } of kept) {
      for (const { value } of events) {
        const link = mergeLinkOf(value);
        if (link === undefined) continue;
        duplicates += await this.#apply(
          await this.#merger.link(link, this.#context(now)),
          now,
          changes,
        );
      }
    }
    const layers = layersOf(kept);
    const last = layers.at(-1);
    // Progress never runs ahead: it is recorded once every customer is written and indexed.
    // A last layer of one chunk (a steady trickle's batch) carries it in that chunk's index
    // update, sparing a round trip; otherwise it is a call of its own after the last chunk.
    const carried = last !== undefined && last.size <= CHUNK;
    for (const layer of layers) {
      const carries = carried && layer === last;
      const result = await this.#write(layer, now, changes, carries ? progress : undefined);
      duplicates += result.duplicates;
      conflicts += result.conflicts;
      customers += layer.size;
    }
    if (!carried) await this.writer.index(this.options.generation, [], now, progress);
    await this.writer.replicated();
    return {
      events: batches.reduce((sum, batch) => sum + batch.events.length, 0),
      duplicates,
      erased,
      customers,
      conflicts,
      changes,
    };
  }

  /**
   * The guarded writes of one layer (each customer once), each chunk indexed as soon as its
   * writes are answered, conflicts folded again and retried. Adds the changes announced.
   * `progress`, given only for a layer of one chunk, goes with that chunk's index update once
   * nothing of it conflicted: the final attempt's, so after every customer is written.
   */
  async #write(
    layer: ReadonlyMap<string, PartitionBatch>,
    now: number,
    changes: string[],
    progress: Progress | undefined,
  ): Promise<{ duplicates: number; conflicts: number }> {
    const { generation } = this.options;
    let pending = [...layer.keys()];
    let duplicates = 0;
    let conflicts = 0;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS) {
        throw new StoreError(
          'STORE_CONFLICT',
          `customers ${pending.slice(0, 5).join(', ')} kept changing during ${MAX_ATTEMPTS} attempts`,
          { retriable: true },
        );
      }
      // What this projection wrote last is trusted without reading it back: the guarded write
      // compares revisions, so if anyone wrote since, it conflicts and the retry reads.
      // Taken now: the chunks' own writes may push a customer out of the cache before its chunk.
      const trusted = new Map<string, Remembered>(
        attempt === 1
          ? pending.flatMap((id) => {
              const remembered = this.#recent.recall(id);
              return remembered ? [[id, remembered] as const] : [];
            })
          : [],
      );
      const { pointer, customers } = await this.writer.load(
        generation,
        pending.filter((id) => !trusted.has(id)),
      );
      if (this.options.follow && pointer.generation !== generation) {
        throw new GenerationMovedError(generation, pointer);
      }
      // Ids merged into others: their events go to the survivor, against their own positions.
      const pointers = pending.filter((id) => customers.get(id)?.mergedInto !== undefined);
      for (const id of pointers) {
        const batch = layer.get(id) ?? { partition: 0, events: [] };
        duplicates += await this.#apply(
          await this.#merger.redirect(id, batch, this.#context(now)),
          now,
          changes,
        );
      }
      if (pointers.length > 0) {
        pending = pending.filter((id) => customers.get(id)?.mergedInto === undefined);
        if (pending.length === 0) {
          if (progress) await this.writer.index(generation, [], now, progress);
          break;
        }
      }
      const stored = (id: string): StoredCustomer | undefined => {
        const remembered = trusted.get(id);
        return remembered ? this.#recent.decode(remembered) : customers.get(id);
      };
      const state: Attempt = { conflicted: new Set(), duplicates: 0 };
      // One per attempt, not per customer: the fold's hot loop allocates nothing it can share.
      const context = this.#context(now);
      const inFlight: Promise<void>[] = [];
      for (let start = 0; start < pending.length; start += CHUNK) {
        // Folded chunk by chunk: a decoded state lives while its chunk is folded.
        const plans = new Map(
          pending.slice(start, start + CHUNK).map((id) => {
            const { partition, events } = layer.get(id) ?? { partition: 0, events: [] };
            return [id, this.#planner.plan(id, stored(id), events, partition, context)] as const;
          }),
        );
        const chunk = this.#commit(plans, layer, state, now, changes, progress);
        // Handled here so that a chunk failing while an earlier one is awaited is not an
        // unhandled rejection; the failure itself surfaces when this chunk is awaited.
        chunk.catch(() => undefined);
        inFlight.push(chunk);
        if (inFlight.length >= WINDOW) await inFlight.shift();
      }
      await Promise.all(inFlight);
      duplicates += state.duplicates;
      conflicts += state.conflicted.size;
      pending = [...state.conflicted];
    }
    return { duplicates, conflicts };
  }

  #context(now: number): PlanContext {
    return { now, announce: this.#announce, timelineLength: this.writer.limits.timelineLength };
  }

  /** What a merge or a redirect wrote, indexed; returns the events it found already folded. */
  async #apply(merged: Merged, now: number, changes: string[]): Promise<number> {
    for (const id of merged.touched) this.#recent.forget(id);
    if (merged.entries.length > 0) {
      const announced = await this.writer.index(this.options.generation, merged.entries, now, {
        groupId: this.options.groupId,
        offsets: [],
      });
      for (const id of announced) if (id !== undefined) changes.push(id);
    }
    return merged.duplicates;
  }

  /**
   * The batches without the events of erased customers (and links naming one): one round trip
   * to the suppression list for the customers of the whole fetch.
   */
  async #withoutErased(
    batches: readonly PartitionBatch[],
  ): Promise<{ kept: readonly PartitionBatch[]; erased: number }> {
    const { identities } = this.options;
    if (identities === undefined) return { kept: batches, erased: 0 };
    const ids = new Set<string>();
    for (const { events } of batches) {
      for (const { value } of events) {
        ids.add(value.customerId);
        const link = mergeLinkOf(value);
        if (link) ids.add(link.from);
      }
    }
    const erased = await identities.erased([...ids]);
    if (erased.size === 0) return { kept: batches, erased: 0 };
    let skipped = 0;
    const kept = batches.map(({ partition, events }) => ({
      partition,
      events: events.filter(({ value }) => {
        const link = mergeLinkOf(value);
        const gone = erased.has(value.customerId) || (link !== undefined && erased.has(link.from));
        if (gone) skipped += 1;
        return !gone;
      }),
    }));
    return { kept, erased: skipped };
  }

  /** One chunk: its guarded writes, then what they settled indexed (with the progress, last). */
  async #commit(
    plans: Map<string, Plan>,
    layer: ReadonlyMap<string, PartitionBatch>,
    attempt: Attempt,
    now: number,
    changes: string[],
    progress: Progress | undefined,
  ): Promise<void> {
    const { generation, groupId } = this.options;
    const writes = [...plans.values()].flatMap((plan) => (plan.write ? [plan.write] : []));
    const outcomes = await this.writer.commit(generation, writes);
    outcomes.forEach((outcome: CommitOutcome, index) => {
      const id = writes[index]?.customerId ?? '';
      const written = plans.get(id)?.written;
      if (outcome.outcome === 'applied' && written) this.#recent.remember(id, written);
      else this.#recent.forget(id); // Someone else wrote it: what we knew is old.
      if (outcome.outcome === 'conflict') attempt.conflicted.add(id);
      if (outcome.outcome !== 'stale') return;
      // Someone else applied at least this far, and indexes it: none of ours was new.
      plans.delete(id);
      attempt.duplicates += layer.get(id)?.events.length ?? 0;
    });
    const entries = [];
    for (const [id, plan] of plans) {
      if (attempt.conflicted.has(id)) continue;
      entries.push(plan.entry);
      attempt.duplicates += plan.duplicates;
    }
    // With nothing left to retry, the layer's only chunk is the batch's last write; other
    // chunks record no progress: that comes once the batch is indexed.
    const recording = attempt.conflicted.size === 0 ? progress : undefined;
    const announced = await this.writer.index(
      generation,
      entries,
      now,
      recording ?? { groupId, offsets: [] },
    );
    for (const id of announced) if (id !== undefined) changes.push(id);
  }
}
