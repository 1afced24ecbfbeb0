import { PROFILE_MERGED, type MergeLink, type StampedInteraction } from '@rapport/schema';

/** A link as the gateway publishes it: an event of the survivor, its provenance beside it. */
export function linkEvent(from: string, into: string, at: string): StampedInteraction {
  const properties: MergeLink = { from, into, via: 'api', asked: { from, into } };
  return {
    eventId: `link-${from}-${into}`,
    customerId: into,
    channel: 'identity',
    type: PROFILE_MERGED,
    direction: 'inbound',
    occurredAt: at,
    receivedAt: at,
    source: 'http',
    properties,
  };
}

/**
 * A stream of events with links spliced in at the given indexes (each a pair of roots, as the
 * gateway decides them), and where each id ends up: what a merge-aware check compares with.
 */
export function withLinks(
  events: readonly StampedInteraction[],
  links: readonly { readonly at: number; readonly from: string; readonly into: string }[],
): { events: StampedInteraction[]; survivorOf: (id: string) => string; merged: string[] } {
  const out = [...events];
  for (const { at, from, into } of [...links].sort((a, b) => b.at - a.at)) {
    out.splice(at, 0, linkEvent(from, into, events[at]?.receivedAt ?? new Date().toISOString()));
  }
  const edges = new Map(links.map(({ from, into }) => [from, into]));
  const survivorOf = (id: string) => {
    let root = id;
    while (edges.has(root)) root = edges.get(root) ?? root;
    return root;
  };
  return { events: out, survivorOf, merged: [...edges.keys()] };
}

/** The events as the survivors hold them: each under the id that survived its customer. */
export const underSurvivors = (
  events: readonly StampedInteraction[],
  survivorOf: (id: string) => string,
) => events.map((event) => ({ ...event, customerId: survivorOf(event.customerId) }));
