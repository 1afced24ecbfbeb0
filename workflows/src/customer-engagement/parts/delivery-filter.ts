import type { Delivery } from '../../shared/definitions.js';

/** Ids remembered: the log repeats an event within minutes (a retried publish), not days. */
const RECENT_IDS = 512;

export interface DeliveryFilterSnapshot {
  /** Per partition, the last offset taken: a redelivered event is at or below it. */
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
  readonly #recent: IdRing;
  readonly #decided: IdRing;

  constructor(snapshot: DeliveryFilterSnapshot = { watermarks: {}, recentIds: [] }) {
    this.#watermarks = new Map(Object.entries(snapshot.watermarks));
    this.#recent = new IdRing(snapshot.recentIds);
    this.#decided = new IdRing(snapshot.decidedIds ?? []);
  }

  /** What a delivery is; it moves its partition's watermark either way. */
  arrival({ partition, offset, event }: Delivery): Arrival {
    const key = String(partition);
    const watermark = this.#watermarks.get(key);
    if (watermark !== undefined && !offsetAfter(offset, watermark)) return 'repeat';
    this.#watermarks.set(key, offset);
    if (this.#decided.has(event.eventId)) return 'decided';
    if (this.#recent.has(event.eventId)) return 'repeat';
    this.#recent.add(event.eventId);
    return 'new';
  }

  /** An event the engine decided and folded itself: its copy from the log is not new. */
  decided(eventId: string): void {
    this.#decided.add(eventId);
  }

  snapshot(): { watermarks: Record<string, string>; recentIds: string[]; decidedIds: string[] } {
    return {
      watermarks: Object.fromEntries(this.#watermarks),
      recentIds: this.#recent.ids(),
      decidedIds: this.#decided.ids(),
    };
  }
}

/** The latest ids, in a bounded ring with a set beside it for lookups. */
class IdRing {
  readonly #ids: string[];
  readonly #set: Set<string>;

  constructor(ids: readonly string[]) {
    this.#ids = [...ids];
    this.#set = new Set(ids);
  }

  has(id: string): boolean {
    return this.#set.has(id);
  }

  add(id: string): void {
    this.#ids.push(id);
    this.#set.add(id);
    if (this.#ids.length > RECENT_IDS) this.#set.delete(this.#ids.shift() ?? '');
  }

  ids(): string[] {
    return [...this.#ids];
  }
}

/** Kafka offsets are decimal strings without leading zeros: longer is larger. */
export function offsetAfter(a: string, b: string): boolean {
  return a.length === b.length ? a > b : a.length > b.length;
}
