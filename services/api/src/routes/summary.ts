import type { FastifyPluginCallback } from 'fastify';
import { instantMs } from '@rapport/schema';
import type { ApiContext } from '../app.js';
import { ReadQuerySchema } from '../queries.js';
import { Summaries, summarize } from '../summary.js';
import { parseOrThrow } from '../validate.js';

/**
 * `GET /v1/summary`: the customers counted by status, stage and channel at the request's instant
 * (or `at`), for a dashboard's headline figures. It reads every customer, so its answers are
 * shared between requests (Summaries): one walk per generation and second in this process.
 */
export const summaryRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const summaries = new Summaries((generation, at) =>
      summarize(context.reader, context.model, generation, at),
    );
    app.get('/v1/summary', { config: { access: 'read' } }, async (request) => {
      const { at } = parseOrThrow(ReadQuerySchema, request.query);
      const generation = await context.generation();
      return at === undefined
        ? summaries.get(generation, context.now(), true)
        : summaries.get(generation, instantMs(at), false);
    });
    done();
  };
