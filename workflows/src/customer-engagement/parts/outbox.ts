import type { StampedInteraction } from '@rapport/schema';
import { derivedEvent, type DerivedEventSpec } from '../../shared/derived.js';

/**
 * Derived events waiting for Kafka's acknowledgement, oldest first. Carried across
 * continue-as-new, so nothing decided is lost before it is published.
 */
export class Outbox {
  readonly #customerId: string;
  readonly #events: StampedInteraction[];

  constructor(customerId: string, events: readonly StampedInteraction[] = []) {
    this.#customerId = customerId;
    this.#events = [...events];
  }

  /** The derived event of `spec`, queued for publishing. */
  publish(spec: Omit<DerivedEventSpec, 'customerId'>): StampedInteraction {
    const event = derivedEvent({ ...spec, customerId: this.#customerId });
    this.#events.push(event);
    return event;
  }

  get size(): number {
    return this.#events.length;
  }

  /** The oldest `limit` events not yet acknowledged. */
  unpublished(limit: number): StampedInteraction[] {
    return this.#events.slice(0, limit);
  }

  /** Kafka acknowledged (or refused for good) the oldest `count`. */
  published(count: number): void {
    this.#events.splice(0, count);
  }

  /** A merged customer's unpublished events: still published, after ours. */
  absorb(events: readonly StampedInteraction[]): void {
    this.#events.push(...events);
  }

  snapshot(): StampedInteraction[] {
    return [...this.#events];
  }
}
