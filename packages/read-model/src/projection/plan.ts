import type { Model, State } from '@rapport/model';
import { encodeData } from '../codec.js';
import { EMPTY_EXTRAS, extrasFolder, type Extras } from '../extras.js';
import type { StoredCustomer } from '../record.js';
import { eventFingerprint, recentEvents } from '../recent-events.js';
import { encodeSnapshot } from '../history.js';
import { encodeTimelineEntry } from '../timeline.js';
import { changePayload } from '../views.js';
import type { CustomerWrite, IndexEntry } from '../writer.js';
import type { PositionedEvent } from './layers.js';
import type { WrittenRecord } from './recent-writes.js';

/** What one customer's events of a batch come to: the write, if any, and the index entry. */
export interface Plan {
  readonly write?: CustomerWrite;
  /** What the write stores, if it applies: remembered, so the next batch need not read it. */
  readonly written?: WrittenRecord;
  readonly entry: IndexEntry;
  /** Events already folded: at or below the stored position, or a copy of a recent event. */
  readonly duplicates: number;
}

export interface PlanContext {
  readonly now: number;
  /** Whether the index entry carries a change for the stream. */
  readonly announce: boolean;
  readonly timelineLength: number;
}

/** The pure part of a projection: folding a customer's new events onto its stored state. */
export class Planner {
  readonly #fold: (extras: Extras, event: PositionedEvent['value']) => Extras;

  constructor(private readonly model: Model) {
    this.#fold = extrasFolder(model);
  }

  /**
   * The events after the stored position of this partition, folded onto the stored state, but
   * for the log's copies of a recent event (its eventId remembered): a publish retried across a
   * broker's failover writes an event twice, and the workflow skips the copy too. With nothing
   * new (a redelivery after a crash), only the index entry, in case the crash came between the
   * write and the index update.
   */
  plan(
    customerId: string,
    stored: StoredCustomer | undefined,
    events: readonly PositionedEvent[],
    partition: number,
    context: PlanContext,
    offsetsField?: string,
  ): Plan {
    const appliedUpTo = stored?.offsets.get(partition) ?? -1;
    const recent = recentEvents(stored?.recent);
    const folded = events.filter((event) => {
      if (Number(event.offset) <= appliedUpTo) return false;
      const fingerprint = eventFingerprint(event.value.eventId);
      if (recent.has(fingerprint)) return false;
      recent.add(fingerprint);
      return true;
    });
    const duplicates = events.length - folded.length;
    if (stored !== undefined && folded.length === 0) {
      return {
        entry: this.indexEntry(customerId, stored.revision, stored.state, context, null),
        duplicates,
      };
    }
    let state: State = stored?.state ?? this.model.empty();
    let extras: Extras = stored?.extras ?? EMPTY_EXTRAS;
    for (const { value } of folded) {
      state = this.model.apply(state, value);
      extras = this.#fold(extras, value);
    }
    const revision = (stored?.revision ?? 0) + 1;
    // Past the batch's copies too: they are in the state as their originals.
    const offset = Number(events.at(-1)?.offset ?? -1);
    const lastFolded = folded.at(-1)?.value.eventId;
    const data = encodeData(state, extras, context.now, recent.values());
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
        snapshot: encodeSnapshot(this.model.headline(state, state.t)),
        timeline: folded
          .slice(-context.timelineLength)
          .map(({ value }) => encodeTimelineEntry(value)),
        ...(offsetsField === undefined ? {} : { offsetsField }),
      },
      entry: this.indexEntry(customerId, revision, state, context, lastFolded ?? null),
      duplicates,
    };
  }

  /** The index entry of a customer at `revision` (and its change, when announced). */
  indexEntry(
    customerId: string,
    revision: number,
    state: State,
    { now, announce }: PlanContext,
    eventId: string | null,
  ): IndexEntry {
    const reading = this.model.headline(state, now);
    return {
      customerId,
      revision,
      ...reading.predictions,
      change: announce ? changePayload(revision, reading, now, state.n, eventId) : '',
    };
  }
}
