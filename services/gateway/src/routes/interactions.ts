import type { FastifyPluginCallback } from 'fastify';
import { SOURCE_HEADER } from '@rapport/schema';
import type { RouteContext } from '../app.js';
import { ingest, budgetOf } from '../ingest.js';
import { checkLimits, httpSource, itemsOf, validateEvents } from '../validate.js';

/** `POST /v1/interactions`: one canonical event or `{ "batch": [...] }`; 202 once Kafka acked. */
export const interactionRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const sources = context.deps.config.gateway.clientSources;
    app.post('/v1/interactions', { config: { access: 'write' } }, async (request, reply) => {
      const source = httpSource(request.headers[SOURCE_HEADER], sources);
      const { items, pathOf } = itemsOf(request.body);
      checkLimits(items, request.rawBody?.length ?? 0, pathOf);
      const events = validateEvents(items, pathOf, context.now());
      const { accepted, duplicates } = await ingest(context, events, {
        source,
        scope: 'http',
        budget: budgetOf(request),
        pathOf,
      });
      return reply.code(202).send({ accepted, duplicates });
    });
    done();
  };
