import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { instantMs } from '@rapport/schema';
import { ApiError } from '@rapport/lifecycle';
import { customerView } from '@rapport/read-model';
import type { ApiContext } from '../app.js';
import { listCustomers, ListQuerySchema } from '../list.js';
import { parseOrThrow } from '../validate.js';
import {
  CustomerParamsSchema,
  HistoryQuerySchema,
  ReadQuerySchema,
  TimelineQuerySchema,
} from '../queries.js';

const notFound = (id: string) =>
  new ApiError(
    404,
    'CUSTOMER_NOT_FOUND',
    `no customer ${JSON.stringify(id)} in the read model: no event for this id has been projected`,
  );

/**
 * An id merged into another answers with a pointer to the survivor (docs/identity.md): a 308 to
 * the same route of the survivor, query kept, with `{ mergedInto }` for clients that do not follow.
 */
export function pointTo(
  request: FastifyRequest,
  reply: FastifyReply,
  survivor: string,
  route: '' | '/history' | '/timeline' | '/workflow',
): { mergedInto: string } {
  // Built, not edited from the URL asked: a client may spell the id's characters either way.
  const query = request.url.indexOf('?');
  const location =
    `/v1/customers/${encodeURIComponent(survivor)}${route}` +
    (query < 0 ? '' : request.url.slice(query));
  // Not awaited: a reply is thenable, and resolves only once sent.
  void reply.code(308).header('location', location);
  return { mergedInto: survivor };
}

/**
 * The customer routes. Everything is read at the request's instant: decay is applied at read
 * time, so a customer who went quiet reads lower now than when their last event was projected.
 */
export const customerRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const { reader, model } = context;
    const readers = { config: { access: 'read' } } as const;

    /** The id's record, or the pointer's answer when it was merged into another. */
    const merged = async (generation: string, id: string) => {
      const stored = await reader.customer(generation, id);
      if (stored?.mergedInto === undefined) return { stored };
      return { stored, survivor: await reader.survivorOf(generation, stored.mergedInto) };
    };

    app.get('/v1/customers/:id', readers, async (request, reply) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      const { at } = parseOrThrow(ReadQuerySchema, request.query);
      const { stored, survivor } = await merged(await context.generation(), id);
      if (stored === undefined) throw notFound(id);
      if (survivor !== undefined) return pointTo(request, reply, survivor, '');
      return customerView(id, stored, model, at === undefined ? context.now() : instantMs(at));
    });

    app.get('/v1/customers', readers, async (request) => {
      const query = parseOrThrow(ListQuerySchema, request.query);
      return listCustomers(reader, model, await context.generation(), query, context.now());
    });

    app.get('/v1/customers/:id/history', readers, async (request, reply) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      parseOrThrow(HistoryQuerySchema, request.query);
      const generation = await context.generation();
      const { survivor } = await merged(generation, id);
      if (survivor !== undefined) return pointTo(request, reply, survivor, '/history');
      const snapshots = await reader.history(generation, id);
      if (snapshots.length === 0 && (await reader.customer(generation, id)) === undefined) {
        throw notFound(id);
      }
      return { customerId: id, snapshots };
    });

    app.get('/v1/customers/:id/timeline', readers, async (request, reply) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      const { limit } = parseOrThrow(TimelineQuerySchema, request.query);
      const generation = await context.generation();
      const { survivor } = await merged(generation, id);
      if (survivor !== undefined) return pointTo(request, reply, survivor, '/timeline');
      const events = await reader.timeline(generation, id, limit ?? 1_000);
      if (events.length === 0 && (await reader.customer(generation, id)) === undefined) {
        throw notFound(id);
      }
      return { customerId: id, events };
    });
    done();
  };
