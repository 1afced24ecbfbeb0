import type { Edge, Identities } from '@rapport/identity';
import type { Logger } from '@rapport/lifecycle';
import type { IngestResult, Interaction, StampedInteraction } from '@rapport/schema';
import type { FastifyRequest } from 'fastify';
import { ApiError, publishFailed, redisUnavailable } from './errors.js';
import type { DedupScope, Guards } from './guards.js';
import { decideLinks, erasedPaths, linkEvent, routeEvents, type LinkRequest } from './identity.js';
import type { Metrics } from './metrics.js';
import type { PathOf } from './validate.js';

/** What the gateway needs from Kafka: publish that resolves only once every record is acked. */
export interface Publisher {
  publish(events: readonly StampedInteraction[], options: { timeoutMs: number }): Promise<void>;
}

export interface IngestDeps {
  readonly publisher: Publisher;
  readonly guards: Guards;
  readonly identities: Identities;
  readonly metrics: Metrics;
  readonly publishTimeoutMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/** Where a request's events come from, and who pays for them. */
export interface IngestSource {
  /** Stamped on every event: `http`, `http:csv`, `segment`, `webhook:<channel>`. */
  readonly source: string;
  /** Whose eventIds this request's ids are compared with (see Guards). */
  readonly scope: DedupScope;
  /** The rate budget charged: a key's id, or a signed channel. */
  readonly budget: string;
  /** Names event `index` in issue paths (`batch.3`); `events.3` when not given. */
  readonly pathOf?: PathOf;
  /** Identity links the request makes, decided before its events are routed. */
  readonly links?: readonly LinkRequest[];
}

export interface IngestOutcome extends IngestResult {
  /** The survivor of each link asked for, in order. */
  readonly survivors: readonly string[];
  /** Whether each link merged two people (false: they were one already). */
  readonly merged: readonly boolean[];
}

/** The rate budget of a request authenticated by key: the key's id, never the key itself. */
export function budgetOf(request: FastifyRequest): string {
  if (request.caller === undefined) throw new Error('budgetOf: the request carries no key');
  return request.caller.keyId;
}

/**
 * The one path every ingestion route takes once its events are valid: decide the request's
 * identity links, route each event to its customer's survivor (refusing erased customers), rate
 * limit, deduplicate (by the id the client sent: a retry after a merge is still a duplicate),
 * stamp, publish the links and the events together, and answer only after Kafka acknowledged.
 * Nothing answered 2xx is unpublished; a failed publish releases its claims so that the client's
 * retry is accepted, and leaves its links decided, to be published by that retry.
 */
export async function ingest(
  deps: IngestDeps,
  events: readonly Interaction[],
  context: IngestSource,
): Promise<IngestOutcome> {
  const now = deps.now();
  const pathOf = context.pathOf ?? ((index: number) => `events.${index}`);
  const unique = firstOfEachEventId(events);
  let readRoutes: (reply: unknown) => ReadonlyMap<string, string | null> = () => new Map();
  const { admitted, outcomes, alongside, token } = await deps.guards
    .admit(context, unique, now, (pipeline) => {
      readRoutes = deps.identities.queueRoute(
        pipeline,
        events.map((event) => event.customerId),
      );
    })
    .catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'Redis did not answer the admission; answering 503');
      throw redisUnavailable();
    });
  const fresh = unique.filter((_, index) => outcomes[index] === 'new');
  // From here on a refusal gives the claims just taken back (a refused budget gave them back).
  const refuse = async (error: unknown): Promise<never> => {
    if (admitted) await deps.guards.release(context.scope, fresh, token);
    throw error;
  };
  const routes = readRoutes(alongside);
  const erased = erasedPaths(routes, events, pathOf);
  if (erased !== undefined) await refuse(erased);
  if (!admitted) {
    throw new ApiError(
      429,
      'RATE_LIMITED',
      unique.length > deps.guards.rateLimitPerSecond
        ? `this request has ${unique.length} events and the budget is ${deps.guards.rateLimitPerSecond} a second; send smaller batches`
        : 'too many events for this key; retry after the given delay',
      [],
      1,
    );
  }
  if (outcomes.includes('in_flight')) {
    await refuse(
      new ApiError(
        409,
        'IN_FLIGHT',
        'another request is accepting some of these events; retry shortly',
        [],
        1,
      ),
    );
  }
  // Links are decided only for a request that is otherwise accepted.
  const decided = await decideLinks(deps.identities, context.links ?? []).catch(
    (error: unknown) => {
      if (error instanceof ApiError) return refuse(error);
      deps.logger.warn({ err: error }, 'Redis did not decide the links; answering 503');
      return refuse(redisUnavailable());
    },
  );
  const routedById = new Map(
    routeEvents(routes, events, decided.edges).map((event) => [event.eventId, event]),
  );
  const receivedAt = new Date(now).toISOString();
  const stamp = { receivedAt, source: context.source };
  const links = decided.edges.map((edge) =>
    linkEvent(edge, decided.asked.get(edge.from) ?? { ...edge, via: 'api', at: '' }, stamp),
  );
  // Object.assign, not a spread: events come in many shapes (optional fields), and spreading them
  // cost more than serialising them (docs/performance.md, the gateway's profile).
  const stamped = fresh.map((event) =>
    Object.assign({}, routedById.get(event.eventId) ?? event, stamp),
  );
  await publishOrRefuse(deps, [...links, ...stamped], refuse);
  confirmPublished(deps, context.scope, fresh, token, decided.edges);
  const accepted = fresh.length;
  const duplicates = events.length - accepted;
  deps.metrics.events.inc({ source: context.source, outcome: 'accepted' }, accepted);
  deps.metrics.events.inc({ source: context.source, outcome: 'duplicate' }, duplicates);
  // A literal, not a spread given more properties: on Node 20 that costs every request a hidden
  // class of its own, garbage the young generation's collections carry (docs/performance.md).
  return { accepted, duplicates, survivors: decided.survivors, merged: decided.merged };
}

/**
 * Published: the events are accepted, whatever Redis does now. Their claims are confirmed (a
 * retry of these events must be a duplicate) and the links with them, in one round trip that the
 * answer does not wait for: the commands are handed to Redis's socket before the answer is (see
 * `Guards.confirm`), and waiting for Redis's reply held every answer for one more round trip. A
 * link left pending is published again by the next request that meets it. Claims Redis did not
 * confirm (a failover) are taken over by a retry after the pending timeout, which publishes the
 * events again, and the consumers skip the copies by eventId.
 */
function confirmPublished(
  deps: IngestDeps,
  scope: DedupScope,
  events: readonly Interaction[],
  token: string,
  edges: readonly Edge[],
): void {
  if (events.length === 0 && edges.length === 0) return;
  deps.guards
    .confirm(scope, events, token, (pipeline) => deps.identities.queueConfirm(pipeline, edges))
    .catch((error: unknown) => {
      deps.logger.warn(
        { err: error, events: events.length, links: edges.length },
        'published, but Redis did not confirm the claims or links: a retry after the pending timeout takes the claims over, and the next request to meet a link publishes it again',
      );
    });
}

/** Publishes; on failure refuses, which gives the request's claims back for the client's retry. */
async function publishOrRefuse(
  deps: IngestDeps,
  records: readonly StampedInteraction[],
  refuse: (error: unknown) => Promise<never>,
): Promise<void> {
  if (records.length === 0) return;
  const stopTimer = deps.metrics.publishSeconds.startTimer();
  try {
    await deps.publisher.publish(records, { timeoutMs: deps.publishTimeoutMs });
  } catch (error) {
    await refuse(publishFailed('the events', error));
  } finally {
    stopTimer();
  }
}

/** A batch that names one eventId twice publishes it once; the repeats count as duplicates. */
function firstOfEachEventId(events: readonly Interaction[]): Interaction[] {
  const seen = new Set<string>();
  return events.filter((event) => !seen.has(event.eventId) && seen.add(event.eventId));
}
