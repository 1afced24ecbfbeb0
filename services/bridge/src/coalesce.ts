import type { ParsedRecord } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';
import type { Delivery } from '@rapport/workflows';

/**
 * The most events one signal carries. A customer with more in one batch gets several signals,
 * one after the other: a Temporal payload is refused above 2 MiB (and warned about above
 * 512 KiB), and 500 events of the gateway's bounded size stay well inside it.
 */
export const MAX_EVENTS_PER_SIGNAL = 500;

/** One customer's share of a batch: the signals to send, in order, one at a time. */
export interface CustomerDeliveries {
  readonly customerId: string;
  readonly signals: readonly (readonly Delivery[])[];
}

/**
 * Groups a partition's batch by the workflow each event goes to (its customer's, or with
 * `workflowOf` its survivor's), keeping each customer's events in offset order with
 * their partition and offset (the workflow's watermark needs both). The event's `customerId`
 * decides, not the record key: it is what the workflow checks, and a producer could key wrongly.
 */
export function coalesce(
  records: readonly ParsedRecord<StampedInteraction>[],
  maxPerSignal = MAX_EVENTS_PER_SIGNAL,
  workflowOf: (customerId: string) => string = (customerId) => customerId,
): CustomerDeliveries[] {
  const byCustomer = new Map<string, Delivery[]>();
  for (const record of records) {
    // An id merged into another goes to its survivor's workflow, the event unchanged.
    const target = workflowOf(record.value.customerId);
    const deliveries = byCustomer.get(target) ?? [];
    deliveries.push({ partition: record.partition, offset: record.offset, event: record.value });
    byCustomer.set(target, deliveries);
  }
  return [...byCustomer].map(([customerId, deliveries]) => ({
    customerId,
    signals: chunks(deliveries, maxPerSignal),
  }));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}
