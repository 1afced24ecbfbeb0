import type { Model, State } from '@rapport/model';
import type { StampedInteraction } from '@rapport/schema';
import { GenerationMovedError, StoreError } from './errors';
import { extrasFolder } from './extras';
import type { CustomerWrite, IndexEntry, ReadModel } from './read-model';
import { EMPTY_EXTRAS, encodeData, type Extras, type StoredCustomer } from './record';
import { changePayload, storedSnapshot } from './views';

/** One event from the log with its position. */
export interface PositionedEvent {
  readonly partition: number;
  /** Kafka's decimal string; offsets stay far below 2^53, so they compare as numbers. */
  readonly offset: string;
  readonly value: StampedInteraction;
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

interface Plan {
  readonly write?: CustomerWrite;
  readonly entry: IndexEntry;
  readonly duplicates: number;
}

/**
 * Folds a batch of one partition into the read model, exactly once in effect per customer:
 * reads every touched customer in one round trip, folds the events it does not have yet (by
 * position, never by eventId), writes them back through the guarded script in one round trip,
 * re-folds those that conflicted, then updates the indexes, the change stream and the progress
 * in one more round trip. A crash anywhere leaves nothing half-applied: a redelivery skips what
 * was written and (re-)indexes it.
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

  async project(
    partition: number,
    events: readonly PositionedEvent[],
    now: number,
  ): Promise<ProjectionResult> {
    const byCustomer = groupByCustomer(events);
    const entries = new Map<string, IndexEntry>();
    let pending = [...byCustomer.keys()];
    let duplicates = 0;
    let conflicts = 0;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > MAX_ATTEMPTS) {
        throw new StoreError(
          'STORE_CONFLICT',
          true,
          `customers ${pending.slice(0, 5).join(', ')} kept changing during ${MAX_ATTEMPTS} attempts`,
        );
      }
      const { generation } = this.options;
      const { pointer, customers } = await this.store.load(generation, pending);
      if (this.options.follow && pointer.generation !== generation) {
        throw new GenerationMovedError(generation, pointer);
      }
      const plans = new Map(
        pending.map((id) => [
          id,
          this.plan(id, customers.get(id), byCustomer.get(id) ?? [], partition, now),
        ]),
      );
      const writes = [...plans.values()].flatMap((plan) => (plan.write ? [plan.write] : []));
      const outcomes = await this.store.commit(generation, writes);
      const conflicted = new Set<string>();
      outcomes.forEach((outcome, index) => {
        const id = writes[index]?.customerId ?? '';
        if (outcome.outcome === 'conflict') conflicted.add(id);
        if (outcome.outcome !== 'stale') return;
        // Someone else applied at least this far, and indexes it: none of ours was new.
        plans.delete(id);
        duplicates += byCustomer.get(id)?.length ?? 0;
      });
      for (const [id, plan] of plans) {
        if (conflicted.has(id)) continue;
        entries.set(id, plan.entry);
        duplicates += plan.duplicates;
      }
      conflicts += conflicted.size;
      pending = [...conflicted];
    }
    const last = events.at(-1);
    const announced = await this.store.index(
      this.options.generation,
      [...entries.values()],
      now,
      last && { groupId: this.options.groupId, partition, offset: Number(last.offset) },
    );
    return {
      events: events.length,
      duplicates,
      customers: byCustomer.size,
      conflicts,
      changes: announced.filter((id) => id !== undefined),
    };
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
    return {
      write: {
        customerId,
        expectedRevision: stored?.revision ?? 0,
        partition,
        offset: Number(newest?.offset ?? -1),
        data: encodeData(this.model, state, extras, now),
        snapshot: storedSnapshot(this.model.at(state, state.t)),
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
    const reading = this.model.at(state, now);
    return {
      customerId,
      revision,
      ...reading.predictions,
      change: this.options.announce ? changePayload(revision, reading, now, state.n, eventId) : '',
    };
  }
}

function groupByCustomer(events: readonly PositionedEvent[]): Map<string, PositionedEvent[]> {
  const groups = new Map<string, PositionedEvent[]>();
  for (const event of events) {
    const group = groups.get(event.value.customerId);
    if (group) group.push(event);
    else groups.set(event.value.customerId, [event]);
  }
  return groups;
}

/** The timeline keeps the event without its customer (the key says it) and its properties. */
function timelineEntry({ value }: PositionedEvent): string {
  const { customerId: _customerId, properties: _properties, ...entry } = value;
  return JSON.stringify(entry);
}
