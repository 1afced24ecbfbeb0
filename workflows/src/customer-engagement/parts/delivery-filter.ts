import { RecentSet } from '@rapport/model';
import type { Delivery } from '../../shared/definitions.js';

/** Ids remembered: the log repeats an event within minutes (a retried publish), not days. */
const RECENT_IDS = 512;

export interface DeliveryFilterSnapshot {
  /**
   * Per partition, the last offset taken: a redelivered event is at or below it. The customer's
   * own deliveries are keyed by partition (`"3"`), those of an id merged into it (an alias: the
   * event's customerId is another) by that id and partition (`"anon-1/3"`): each id's events are
   * in offset order in their own partition, not in the survivor's.
   */
  readonly watermarks: Readonly<Record<string, string>>;
  /** The latest eventIds taken, oldest first. */
  readonly recentIds: readonly string[];
  /** The latest eventIds the engine decided itself (its verdicts), oldest first. */
  readonly decidedIds?: readonly string[] | undefined;
}

/** A delivery is new, a repeat of one taken, or the log's copy of an event decided here. */
export type Arrival = 'new' | 'repeat' | 'decided';

/**
 * Which deliveries are new. A redelivery is at or below its partition's watermark (the bridge
 * sends a customer's events in offset order and never two signals at once); an eventId seen
 * recently is a duplicate in the log itself, or a verdict of the engine's own coming back.
 */
export class DeliveryFilter {
  readonly #watermarks: Map<string, string>;
  readonly #recent: RecentSet<string>;
  readonly #decided: RecentSet<string>;

  constructor(snapshot: DeliveryFilterSnapshot = { watermarks: {}, recentIds: [] }) {
    this.#watermarks = new Map(Object.entries(snapshot.watermarks));
    this.#recent = new RecentSet(RECENT_IDS, snapshot.recentIds);
    this.#decided = new RecentSet(RECENT_IDS, snapshot.decidedIds ?? []);
  }

  /**
   * What a delivery is; it moves its partition's watermark either way. `own`: the customer id of
   * the workflow (absent: every delivery is its own). `forwarded`: forwarded by a workflow merged
   * into this one, which filtered it by its own watermarks already: the bridge may have routed a
   * later offset of that id here directly first, so only its eventId decides (the watermark
   * moves forward only).
   */
  arrival(
    { partition, offset, event }: Delivery,
    { own, forwarded = false }: { own?: string; forwarded?: boolean } = {},
  ): Arrival {
    const key = watermarkKey(partition, event.customerId, own);
    const watermark = this.#watermarks.get(key);
    if (watermark !== undefined && !offsetAfter(offset, watermark)) {
      if (!forwarded) return 'repeat';
    } else {
      this.#watermarks.set(key, offset);
    }
    if (this.#decided.has(event.eventId)) return 'decided';
    if (this.#recent.has(event.eventId)) return 'repeat';
    this.#recent.add(event.eventId);
    return 'new';
  }

  /** An event the engine decided and folded itself: its copy from the log is not new. */
  decided(eventId: string): void {
    this.#decided.add(eventId);
  }

  /**
   * The filter of `from`, a customer id merged into this one: its own partitions' watermarks
   * re-keyed `<from>/<partition>`, its aliases' kept, the later offset per key; its eventIds
   * united with ours (ours kept first when the rings overflow: they are the latest here).
   */
  absorb(from: string, theirs: DeliveryFilterSnapshot): void {
    for (const [key, offset] of Object.entries(theirs.watermarks)) {
      const ours = key.includes('/') ? key : `${from}/${key}`;
      const watermark = this.#watermarks.get(ours);
      if (watermark === undefined || offsetAfter(offset, watermark)) {
        this.#watermarks.set(ours, offset);
      }
    }
    this.#recent.absorb(theirs.recentIds);
    this.#decided.absorb(theirs.decidedIds ?? []);
  }

  snapshot(): { watermarks: Record<string, string>; recentIds: string[]; decidedIds: string[] } {
    return {
      watermarks: Object.fromEntries(this.#watermarks),
      recentIds: this.#recent.values(),
      decidedIds: this.#decided.values(),
    };
  }
}

/** The watermark's key: the partition for the customer's own deliveries, `<id>/<partition>` else. */
export function watermarkKey(partition: number, customerId: string, own?: string): string {
  return own === undefined || customerId === own ? String(partition) : `${customerId}/${partition}`;
}

/** Kafka offsets are decimal strings without leading zeros: longer is larger. */
export function offsetAfter(a: string, b: string): boolean {
  return a.length === b.length ? a > b : a.length > b.length;
}
