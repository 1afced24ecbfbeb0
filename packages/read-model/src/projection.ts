import type { Model, State } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { GenerationMovedError, StoreError } from './errors.js';
import { encodeData } from './codec.js';
import { EMPTY_EXTRAS, extrasFolder, type Extras } from './extras.js';
import type {
  CommitOutcome,
  CustomerWrite,
  IndexEntry,
  Progress,
  ReadModel,
  Remembered,
  WrittenRecord,
} from './read-model.js';
import type { StoredCustomer } from './record.js';
import { changePayload, storedSnapshot } from './views.js';

/** One event from the log with its position. */
export interface PositionedEvent {
  readonly partition: number;
  /** Kafka's decimal string; offsets stay far below 2^53, so they compare as numbers. */
  readonly offset: string;
  readonly value: StampedInteraction;
}

/** One partition's slice of a fetch, in offset order. */
export interface PartitionBatch {
  readonly partition: number;
  readonly events: readonly PositionedEvent[];
}

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
  /** Announce changes on the stream; off while a replay builds a generation nobody reads. */
  readonly announce: boolean;
}

export interface ProjectionResult {
  readonly events: number;
  /** Events already in the stored state (redelivery, replay, a zombie's duplicate). */
  readonly duplicates: number;
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
 * where folding a whole fetch before the first reply kept everything of it alive until the end,
 * and the garbage collector copied all of it, twice, into the old generation.
 */
const WINDOW = 4;

interface Plan {
  readonly write?: CustomerWrite;
  /** What the write stores, if it applies: remembered, so the next batch need not read it. */
  readonly written?: WrittenRecord;
  readonly entry: IndexEntry;
  readonly duplicates: number;
}

/**
 * Folds a batch of one partition into the read model, exactly once in effect per customer:
 * reads every touched customer in one round trip, folds the events it does not have yet (by
 * position, never by eventId) chunk by chunk, writes each chunk back through the guarded
 * script and, once that is answered, updates the chunk's indexes and the change stream; re-folds
 * those that conflicted; records the progress last. A crash anywhere leaves nothing
 * half-applied: a redelivery skips what was written and (re-)indexes it.
 */
export class Projection {
  readonly #fold: (extras: Extras, event: StampedInteraction) => Extras;

  constructor(
    private readonly store: ReadModel,
    private readonly model: Model,
    private readonly options: ProjectionOptions,
  ) {
    this.#fold = extrasFolder(model);
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
   * partition its fetch returned, so small batches (a steady trickle over 12 partitions) cost
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
    const layers = layersOf(batches);
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
    if (!carried) await this.store.index(this.options.generation, [], now, progress);
    return {
      events: batches.reduce((sum, batch) => sum + batch.events.length, 0),
      duplicates,
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
    const { generation, groupId } = this.options;
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
      // What this projector wrote last is trusted without reading it back: the guarded write
      // compares revisions, so if anyone wrote since, it conflicts and the retry reads.
      const remembered = new Map<string, Remembered>(
        attempt === 1
          ? pending.flatMap((id) => {
              const stored = this.store.recall(generation, id);
              return stored ? [[id, stored] as const] : [];
            })
          : [],
      );
      const unknown = pending.filter((id) => !remembered.has(id));
      const { pointer, customers } = await this.store.load(generation, unknown);
      if (this.options.follow && pointer.generation !== generation) {
        throw new GenerationMovedError(generation, pointer);
      }
      const conflicted = new Set<string>();
      // Other chunks' index updates record no progress: that comes once the batch is indexed.
      const noProgress = { groupId, offsets: [] };
      /** A chunk's outcomes: what is known now, what was a duplicate, the applied indexed. */
      const settle = async (
        plans: Map<string, Plan>,
        writes: readonly CustomerWrite[],
        outcomes: readonly CommitOutcome[],
      ) => {
        outcomes.forEach((outcome, index) => {
          const id = writes[index]?.customerId ?? '';
          const written = plans.get(id)?.written;
          if (outcome.outcome === 'applied' && written)
            this.store.remember(generation, id, written);
          else this.store.forget(generation, id); // Someone else wrote it: what we knew is old.
          if (outcome.outcome === 'conflict') conflicted.add(id);
          if (outcome.outcome !== 'stale') return;
          // Someone else applied at least this far, and indexes it: none of ours was new.
          plans.delete(id);
          duplicates += layer.get(id)?.events.length ?? 0;
        });
        const entries: IndexEntry[] = [];
        for (const [id, plan] of plans) {
          if (conflicted.has(id)) continue;
          entries.push(plan.entry);
          duplicates += plan.duplicates;
        }
        // With nothing left to retry, the layer's only chunk is the batch's last write.
        const recording = conflicted.size === 0 ? progress : undefined;
        const announced = await this.store.index(generation, entries, now, recording ?? noProgress);
        for (const id of announced) if (id !== undefined) changes.push(id);
      };
      const inFlight: Promise<void>[] = [];
      for (let start = 0; start < pending.length; start += CHUNK) {
        const plans = new Map(
          pending.slice(start, start + CHUNK).map((id) => {
            const { partition, events } = layer.get(id) ?? { partition: 0, events: [] };
            // Decoded only now, chunk by chunk: a state lives while its chunk is folded.
            const known = remembered.get(id);
            const stored = known ? this.store.decodeRemembered(known) : customers.get(id);
            return [id, this.plan(id, stored, events, partition, now)];
          }),
        );
        const writes = [...plans.values()].flatMap((plan) => (plan.write ? [plan.write] : []));
        const chunk = this.store
          .commit(generation, writes)
          .then((outcomes) => settle(plans, writes, outcomes));
        // Handled here so that a chunk failing while an earlier one is awaited is not an
        // unhandled rejection; the failure itself surfaces when this chunk is awaited.
        chunk.catch(() => undefined);
        inFlight.push(chunk);
        if (inFlight.length >= WINDOW) await inFlight.shift();
      }
      await Promise.all(inFlight);
      conflicts += conflicted.size;
      pending = [...conflicted];
    }
    return { duplicates, conflicts };
  }

  /**
   * What to write for one customer: the events after the stored position of this partition,
   * folded onto the stored state. With nothing new (a redelivery after a crash), only the index
   * entry, in case the crash came between the write and the index update.
   */
  private plan(
    customerId: string,
    stored: StoredCustomer | undefined,
    events: readonly PositionedEvent[],
    partition: number,
    now: number,
  ): Plan {
    const appliedUpTo = stored?.offsets.get(partition) ?? -1;
    const fresh = events.filter((event) => Number(event.offset) > appliedUpTo);
    const duplicates = events.length - fresh.length;
    const newest = fresh.at(-1);
    if (stored !== undefined && newest === undefined) {
      return {
        entry: this.indexEntry(customerId, stored.revision, stored.state, now, null),
        duplicates,
      };
    }
    let state: State = stored?.state ?? this.model.empty();
    let extras: Extras = stored?.extras ?? EMPTY_EXTRAS;
    for (const { value } of fresh) {
      state = this.model.apply(state, value);
      extras = this.#fold(extras, value);
    }
    const revision = (stored?.revision ?? 0) + 1;
    const offset = Number(newest?.offset ?? -1);
    const data = encodeData(state, extras, now);
    return {
      written: {
        revision,
        offsets: new Map([...(stored?.offsets ?? []), [partition, offset]]),
        data,
      },
      write: {
        customerId,
        expectedRevision: stored?.revision ?? 0,
        partition,
        offset,
        data,
        snapshot: storedSnapshot(this.model.headline(state, state.t)),
        timeline: fresh.slice(-this.store.options.timelineLength).map(timelineEntry),
      },
      entry: this.indexEntry(customerId, revision, state, now, newest?.value.eventId ?? null),
      duplicates,
    };
  }

  private indexEntry(
    customerId: string,
    revision: number,
    state: State,
    now: number,
    eventId: string | null,
  ): IndexEntry {
    const reading = this.model.headline(state, now);
    return {
      customerId,
      revision,
      ...reading.predictions,
      change: this.options.announce ? changePayload(revision, reading, now, state.n, eventId) : '',
    };
  }
}

/**
 * Each customer's events per partition, in layers that hold each customer at most once. A
 * customer lives on one partition, so there is one layer; right after the partition count grew
 * its events can come from two, and each partition's events then get a guarded write of their
 * own (the script guards one partition's position at a time).
 */
function layersOf(batches: readonly PartitionBatch[]): Map<string, PartitionBatch>[] {
  const layers: Map<string, { partition: number; events: PositionedEvent[] }>[] = [];
  for (const { partition, events } of batches) {
    const mine = new Map<string, PositionedEvent[]>();
    for (const event of events) {
      const group = mine.get(event.value.customerId);
      if (group) group.push(event);
      else mine.set(event.value.customerId, [event]);
    }
    for (const [customerId, group] of mine) {
      let layer = layers.find((candidate) => !candidate.has(customerId));
      if (layer === undefined) {
        layer = new Map<string, { partition: number; events: PositionedEvent[] }>();
        layers.push(layer);
      }
      layer.set(customerId, { partition, events: group });
    }
  }
  return layers;
}

/** The timeline keeps the event without its customer (the key says it) and its properties. */
function timelineEntry({ value }: PositionedEvent): string {
  const { customerId: _customerId, properties: _properties, ...entry } = value;
  return JSON.stringify(entry);
}
