import { createHash } from 'node:crypto';
import type { Edge, Identities } from '@rapport/identity';
import {
  PROFILE_MERGED,
  type Interaction,
  type LinkVia,
  type MergeLink,
  type StampedInteraction,
} from '@rapport/schema';
import { ApiError } from './errors.js';
import type { PathOf } from './validate.js';

/** A link a request asks for: `from` and `into` are one person, `into` surviving. */
export interface LinkRequest {
  readonly from: string;
  readonly into: string;
  readonly via: LinkVia;
  /** The link's path in the request, for issues. */
  readonly at: string;
}

/** What deciding a request's links came to: the edges to publish, and who survives each. */
export interface DecidedLinks {
  /** Every edge decided and not yet on the log, each once. */
  readonly edges: readonly Edge[];
  /** The provenance of each edge: the link asked for that decided (or passed through) it. */
  readonly asked: ReadonlyMap<string, LinkRequest>;
  /** The survivor of each link asked for, in order. */
  readonly survivors: readonly string[];
  /** Whether each link merged two people (false: they were one already). */
  readonly merged: readonly boolean[];
}

const erasedError = (paths: readonly string[]) =>
  new ApiError(
    422,
    'CUSTOMER_ERASED',
    'this request names a customer who was erased; Rapport accepts nothing more about them. Remove their events and send the rest again',
    paths.map((path) => ({ path, message: 'this customer was erased' })),
  );

/** Decides each link in order (later links see earlier ones); refuses if any names an erased id. */
export async function decideLinks(
  identities: Identities,
  links: readonly LinkRequest[],
): Promise<DecidedLinks> {
  const edges = new Map<string, Edge>();
  const asked = new Map<string, LinkRequest>();
  const survivors: string[] = [];
  const merged: boolean[] = [];
  const erased: string[] = [];
  for (const link of links) {
    const reservation = await identities.reserve(link.from, link.into);
    if (reservation.erased) {
      erased.push(link.at);
      continue;
    }
    survivors.push(reservation.survivor);
    merged.push(reservation.merged);
    for (const edge of reservation.unpublished) {
      edges.set(edge.from, edge);
      if (!asked.has(edge.from)) asked.set(edge.from, link);
    }
  }
  if (erased.length > 0) throw erasedError(erased);
  return { edges: [...edges.values()], asked, survivors, merged };
}

/**
 * The log's record of an edge: an event of the survivor. Its eventId is the edge's own, so an
 * edge published again (a retried request) is one event to every consumer.
 */
export function linkEvent(
  edge: Edge,
  asked: LinkRequest,
  stamp: { receivedAt: string; source: string },
): StampedInteraction {
  const properties: MergeLink = {
    from: edge.from,
    into: edge.into,
    via: asked.via,
    asked: { from: asked.from, into: asked.into },
  };
  const digest = createHash('sha256').update(`${edge.from}\n${edge.into}`).digest('base64url');
  return {
    eventId: `link:${digest}`,
    customerId: edge.into,
    channel: 'identity',
    type: PROFILE_MERGED,
    direction: 'inbound',
    occurredAt: stamp.receivedAt,
    properties,
    receivedAt: stamp.receivedAt,
    source: stamp.source,
  };
}

/**
 * The refusal of a request naming erased customers (`routes`: `Identities.queueRoute`'s reading,
 * null for an erased id), each event's path in its issues; undefined when it names none.
 */
export function erasedPaths(
  routes: ReadonlyMap<string, string | null>,
  events: readonly Interaction[],
  pathOf: PathOf,
): ApiError | undefined {
  const paths = events.flatMap((event, index) =>
    routes.get(event.customerId) === null
      ? [[pathOf(index), 'customerId'].filter((part) => part !== '').join('.')]
      : [],
  );
  return paths.length === 0 ? undefined : erasedError(paths);
}

/**
 * Each event keyed by the id that survives its customer: the links on the log (`routes`), then
 * the edges this request decides (published with these events, in the same call). Events of
 * erased customers were refused before (erasedPaths).
 */
export function routeEvents<T extends Interaction>(
  routes: ReadonlyMap<string, string | null>,
  events: readonly T[],
  decided: readonly Edge[],
): T[] {
  const overlay = new Map(decided.map((edge) => [edge.from, edge.into]));
  return events.map((event) => {
    let root = routes.get(event.customerId) ?? event.customerId;
    for (let hops = 0; overlay.has(root) && hops <= overlay.size; hops += 1) {
      root = overlay.get(root) ?? root;
    }
    return root === event.customerId ? event : { ...event, customerId: root };
  });
}
