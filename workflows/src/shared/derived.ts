import { ENGINE_SOURCE, type DerivedEventType, type StampedInteraction } from '@rapport/schema';
import { derivedEventId } from './ids.js';
import { iso } from './time.js';

export interface DerivedEventSpec {
  readonly type: DerivedEventType;
  readonly customerId: string;
  /** What makes this verdict unique for the customer (a request's eventId, a follow-up id). */
  readonly key: string;
  readonly occurredAt: number;
  /** Workflow time: stamped as `receivedAt`, so a retry publishes the very same record. */
  readonly now: number;
  /** The channel the verdict is about (an SLA's request); `engine` otherwise. */
  readonly channel?: string;
  readonly threadId?: string;
  readonly properties: NonNullable<StampedInteraction['properties']>;
}

/**
 * An event the engine publishes back to the log. Fully determined by its spec, with a
 * deterministic eventId, so retries and replays do not make duplicates that consumers cannot
 * recognise. Direction `outbound`: these are the business's own bookkeeping, and the catalog
 * makes them signals (no value, no counts), so the direction never moves the ledger.
 */
export function derivedEvent(spec: DerivedEventSpec): StampedInteraction {
  return {
    eventId: derivedEventId(spec.type, spec.customerId, spec.key),
    customerId: spec.customerId,
    channel: spec.channel ?? 'engine',
    type: spec.type,
    direction: 'outbound',
    occurredAt: iso(spec.occurredAt),
    receivedAt: iso(spec.now),
    source: ENGINE_SOURCE,
    ...(spec.threadId === undefined ? {} : { threadId: spec.threadId }),
    properties: spec.properties,
  };
}
