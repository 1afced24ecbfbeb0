import type { Interaction, StampedInteraction } from '@rapport/schema';
import { ApiError, publishFailed } from './errors';
import type { Guards } from './guards';
import type { Metrics } from './metrics';

/** What the gateway needs from Kafka: publish that resolves only once every record is acked. */
export interface Publisher {
  publish(events: readonly StampedInteraction[], options: { timeoutMs: number }): Promise<void>;
}

export interface IngestDeps {
  readonly publisher: Publisher;
  readonly guards: Guards;
  readonly metrics: Metrics;
  readonly publishTimeoutMs: number;
  readonly now: () => number;
}

export interface IngestResult {
  readonly accepted: number;
  readonly duplicates: number;
}

/**
 * The one path every ingestion route takes once its events are valid: rate limit, deduplicate,
 * stamp, publish, and answer only after Kafka acknowledged. Nothing answered 2xx is unpublished;
 * a failed publish releases its claims so that the client's retry is accepted.
 */
export async function ingest(
  deps: IngestDeps,
  events: readonly Interaction[],
  context: { readonly source: string; readonly writeKey: string },
): Promise<IngestResult> {
  const now = deps.now();
  const unique = firstOfEachEventId(events);
  const { admitted, outcomes } = await deps.guards.admit(context.writeKey, unique, now);
  if (!admitted) {
    throw new ApiError(
      429,
      'RATE_LIMITED',
      'too many events for this write key; retry after the given delay',
      [],
      1,
    );
  }
  const fresh = unique.filter((_, index) => outcomes[index] === 'new');
  if (outcomes.includes('in_flight')) {
    await deps.guards.release(fresh);
    throw new ApiError(
      409,
      'IN_FLIGHT',
      'another request is accepting some of these events; retry shortly',
      [],
      1,
    );
  }
  const receivedAt = new Date(now).toISOString();
  const stamped = fresh.map((event) => ({ ...event, receivedAt, source: context.source }));
  await publishOrRelease(deps, stamped);
  await deps.guards.confirm(fresh);
  const result = { accepted: fresh.length, duplicates: events.length - fresh.length };
  deps.metrics.events.inc({ source: context.source, outcome: 'accepted' }, result.accepted);
  deps.metrics.events.inc({ source: context.source, outcome: 'duplicate' }, result.duplicates);
  return result;
}

async function publishOrRelease(deps: IngestDeps, stamped: StampedInteraction[]): Promise<void> {
  if (stamped.length === 0) return;
  const stopTimer = deps.metrics.publishSeconds.startTimer();
  try {
    await deps.publisher.publish(stamped, { timeoutMs: deps.publishTimeoutMs });
  } catch (error) {
    await deps.guards.release(stamped);
    throw publishFailed('the events', error);
  } finally {
    stopTimer();
  }
}

/** A batch that names one eventId twice publishes it once; the repeats count as duplicates. */
function firstOfEachEventId(events: readonly Interaction[]): Interaction[] {
  const seen = new Set<string>();
  return events.filter((event) => !seen.has(event.eventId) && seen.add(event.eventId));
}
