import type { StampedInteraction } from '@rapport/schema';

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

/**
 * Each customer's events per partition, in layers that hold each customer at most once. A
 * customer lives on one partition, so there is one layer; right after the partition count grew
 * its events can come from two, and each partition's events then get a guarded write of their
 * own (the script guards one partition's position at a time).
 */
export function layersOf(batches: readonly PartitionBatch[]): Map<string, PartitionBatch>[] {
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
