import type { FastifyPluginCallback } from 'fastify';
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
 * The customer routes. Everything is read at the request's instant: decay is applied at read
 * time, so a customer who went quiet reads lower now than when their last event was projected.
 */
export const customerRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const { reader, model } = context;
    const readers = { config: { access: 'read' } } as const;

    app.get('/v1/customers/:id', readers, async (request) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      const { at } = parseOrThrow(ReadQuerySchema, request.query);
      const stored = await reader.customer(await context.generation(), id);
      if (stored === undefined) throw notFound(id);
      return customerView(id, stored, model, at === undefined ? context.now() : instantMs(at));
    });

    app.get('/v1/customers', readers, async (request) => {
      const query = parseOrThrow(ListQuerySchema, request.query);
      return listCustomers(reader, model, await context.generation(), query, context.now());
    });

    app.get('/v1/customers/:id/history', readers, async (request) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      parseOrThrow(HistoryQuerySchema, request.query);
      const generation = await context.generation();
      const snapshots = await reader.history(generation, id);
      if (snapshots.length === 0 && (await reader.customer(generation, id)) === undefined) {
        throw notFound(id);
      }
      return { customerId: id, snapshots };
    });

    app.get('/v1/customers/:id/timeline', readers, async (request) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      const { limit } = parseOrThrow(TimelineQuerySchema, request.query);
      const generation = await context.generation();
      const events = await reader.timeline(generation, id, limit ?? 1_000);
      if (events.length === 0 && (await reader.customer(generation, id)) === undefined) {
        throw notFound(id);
      }
      return { customerId: id, events };
    });
    done();
  };
