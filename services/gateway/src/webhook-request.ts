import type { Channel, WebhookRequest } from '@rapport/adapters/node';
import type { FastifyRequest } from 'fastify';

type Values = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The first value of each name: what a provider sends once, read once. */
function firstValues(values: Values): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : value?.[0],
    ]),
  );
}

/**
 * A request as its channel's scheme verifies it: the body's exact bytes (never a re-serialised
 * body), headers by their lower-case names, and the URL the provider called, which is the
 * channel's configured public URL when it has one (behind a proxy or a TLS terminator, the
 * request's own URL is not the one the provider signed).
 */
export function webhookRequest(
  request: FastifyRequest,
  channel: Channel,
  now: number,
): WebhookRequest {
  return {
    method: request.method === 'GET' ? 'GET' : 'POST',
    url: channel.url ?? `${request.protocol}://${request.host}${request.url}`,
    headers: firstValues(request.headers),
    rawBody: request.rawBody ?? Buffer.alloc(0),
    // Fastify's query parser makes an object of strings and arrays of them.
    query: firstValues((request.query ?? {}) as Values),
    now,
  };
}
