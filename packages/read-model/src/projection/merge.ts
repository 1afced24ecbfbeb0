import type { Model } from '@rapport/model';
import type { MergeLink } from '@rapport/schema';
import { encodeData } from '../codec.js';
import { StoreError } from '../errors.js';
import { EMPTY_EXTRAS, mergeExtras } from '../extras.js';
import { encodeSnapshot } from '../history.js';
import { recentEvents } from '../recent-events.js';
import { ALIAS_PREFIX, MAX_MERGE_CHAIN, OffsetsSchema, type StoredCustomer } from '../record.js';
import type { IndexEntry, ReadModelWriter, WholeRecord } from '../writer.js';
import type { PartitionBatch } from './layers.js';
import type { Planner, PlanContext } from './plan.js';

/** Guarded writes retried, as the projection retries a customer's write. */
const MAX_ATTEMPTS = 5;

const aliasField = (id: string) => `${ALIAS_PREFIX}${id}`;
const formatOffsets = (offsets: ReadonlyMap<number, number>) =>
  [...offsets].map(([partition, offset]) => `${partition}:${offset}`).join(',');

/** What a merge or a redirect came to: index entries to write, events already folded. */
export interface Merged {
  readonly entries: readonly IndexEntry[];
  readonly duplicates: number;
  /** Customers whose stored record changed: what the projection remembered of them is old. */
  readonly touched: readonly string[];
}

/**
 * Identity merges in the read model, exact under redelivery and in any order of the log's
 * partitions (docs/identity.md):
 *
 * - a link turns `from` into a pointer at `into` (its record kept), then the survivor at the end
 *   of the pointers absorbs it: the merged state, and `from`'s positions under `a:<from>`;
 * - an event of a pointer (one still on the log under the old id) is folded into the survivor
 *   against those positions, so that what `from` had folded is not folded again.
 *
 * Each step is a guarded script on one customer's slot and idempotent, so a crash between two of
 * them is repaired by the redelivery that follows; whoever finds a pointer whose survivor has
 * not absorbed it yet (the link's projection, or an event's) does the absorbing.
 */
export class Merger {
  constructor(
    private readonly writer: ReadModelWriter,
    private readonly model: Model,
    private readonly planner: Planner,
    private readonly generation: string,
  ) {}

  /** A link: `from` becomes a pointer at `into`, and its survivor absorbs it. */
  async link(link: MergeLink, context: PlanContext): Promise<Merged> {
    const { generation } = this;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const whole = await this.writer.loadWhole(generation, link.from);
      if (whole.stored?.mergedInto !== undefined) {
        // A redelivery after a crash between the pointer and its removal from the lists.
        await this.writer.unindex(generation, link.from, whole.stored.revision);
        return this.#absorb(link.from, whole, context);
      }
      const outcome = await this.writer.tombstone(
        generation,
        link.from,
        whole.stored?.revision ?? 0,
        link.into,
        encodeData(this.model.empty(), EMPTY_EXTRAS, context.now),
      );
      if (outcome.outcome === 'conflict') continue;
      await this.writer.unindex(generation, link.from, outcome.revision);
      const absorbed = await this.#absorb(
        link.from,
        await this.writer.loadWhole(generation, link.from),
        context,
      );
      return { ...absorbed, touched: [...absorbed.touched, link.from] };
    }
    throw conflicted(link.from);
  }

  /**
   * Events of a pointer, folded into its survivor against the positions kept for that id; the
   * survivor absorbs the pointer first if it has not yet.
   */
  async redirect(id: string, batch: PartitionBatch, context: PlanContext): Promise<Merged> {
    const { generation } = this;
    const whole = await this.writer.loadWhole(generation, id);
    const absorbed = await this.#absorb(id, whole, context);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const survivor = await this.#survivor(whole.stored?.mergedInto ?? id);
      const positions = survivor.whole.aliases.get(aliasField(id));
      const stored = survivor.whole.stored;
      if (stored === undefined || positions === undefined) continue; // absorbed meanwhile by another
      const plan = this.planner.plan(
        survivor.id,
        { ...stored, offsets: OffsetsSchema.parse(positions) },
        batch.events,
        batch.partition,
        context,
        aliasField(id),
      );
      if (plan.write === undefined) {
        return { ...absorbed, duplicates: plan.duplicates, touched: [...absorbed.touched] };
      }
      const [outcome] = await this.writer.commit(generation, [plan.write]);
      if (outcome?.outcome === 'conflict') continue;
      if (outcome?.outcome === 'stale') {
        return { ...absorbed, duplicates: batch.events.length };
      }
      return {
        entries: [...absorbed.entries, plan.entry],
        duplicates: plan.duplicates,
        touched: [...absorbed.touched, survivor.id],
      };
    }
    throw conflicted(id);
  }

  /**
   * The survivor of a pointer absorbs it, unless its state is there already: held by the
   * survivor, or by a pointer on the way that absorbed it before it was merged further (its
   * record, `a:<id>` included, then reaches the survivor with it). The pointers on the way are
   * absorbed first, nearest the survivor first, so that what they hold is where it belongs
   * before this one is weighed: a state is folded into the survivor once, whichever pointer of a
   * chain a redelivery, a crash or another projector meets first.
   */
  async #absorb(id: string, merged: WholeRecord, context: PlanContext): Promise<Merged> {
    const { stored } = merged;
    if (stored?.mergedInto === undefined) return NOTHING;
    const next = await this.writer.loadWhole(this.generation, stored.mergedInto);
    const before = await this.#absorb(stored.mergedInto, next, context);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const path = await this.#path(stored.mergedInto);
      const survivor = path.at(-1);
      if (survivor === undefined || path.some(({ whole }) => whole.aliases.has(aliasField(id)))) {
        return before;
      }
      const into: StoredCustomer | undefined = survivor.whole.stored;
      const state = into === undefined ? stored.state : this.model.merge(into.state, stored.state);
      const extras = mergeExtras(into?.extras ?? EMPTY_EXTRAS, stored.extras);
      // The pointer's events, as older than the survivor's: a copy of either is still known.
      const recent = recentEvents(into?.recent);
      recent.absorb(stored.recent);
      const outcome = await this.writer.absorb(this.generation, {
        customerId: survivor.id,
        expectedRevision: into?.revision ?? 0,
        data: encodeData(state, extras, context.now, recent.values()),
        snapshot: encodeSnapshot(this.model.headline(state, state.t)),
        marker: aliasField(id),
        fields: [[aliasField(id), formatOffsets(stored.offsets)], ...merged.aliases],
        timeline: await this.writer.timelineLog(this.generation, id),
      });
      if (outcome.outcome === 'conflict') continue;
      if (outcome.outcome === 'stale') return before;
      return {
        entries: [
          ...before.entries,
          this.planner.indexEntry(survivor.id, outcome.revision, state, context, null),
        ],
        duplicates: 0,
        touched: [...before.touched, survivor.id],
      };
    }
    throw conflicted(id);
  }

  /** The chain of pointers from `start` to the survivor at its end, each with its whole record. */
  async #path(start: string): Promise<{ id: string; whole: WholeRecord }[]> {
    const path: { id: string; whole: WholeRecord }[] = [];
    let id = start;
    for (let hops = 0; hops < MAX_MERGE_CHAIN; hops += 1) {
      const whole = await this.writer.loadWhole(this.generation, id);
      path.push({ id, whole });
      const next = whole.stored?.mergedInto;
      if (next === undefined) return path;
      id = next;
    }
    throw new StoreError(
      'STORE_RECORD_INVALID',
      `the identity chain from ${start} is longer than ${MAX_MERGE_CHAIN} links`,
    );
  }

  /** The end of a chain of pointers, with its whole record. */
  async #survivor(start: string): Promise<{ id: string; whole: WholeRecord }> {
    const path = await this.#path(start);
    const survivor = path.at(-1);
    if (survivor === undefined) throw conflicted(start);
    return survivor;
  }
}

const NOTHING: Merged = { entries: [], duplicates: 0, touched: [] };

const conflicted = (id: string) =>
  new StoreError('STORE_CONFLICT', `customer ${id} kept changing during a merge`, {
    retriable: true,
  });
