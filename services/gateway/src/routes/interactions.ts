import type { FastifyPluginCallback } from 'fastify';
import type { RouteContext } from '../app';
import { requireWriteKey } from '../auth';
import { ingest } from '../ingest';
import { SOURCE_HEADER } from '@rapport/schema';
import { checkLimits, httpSource, itemsOf, validateEvents } from '../validate';

/** `POST /v1/interactions`: one canonical event or `{ "batch": [...] }`; 202 once Kafka acked. */
export const interactionRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    app.post('/v1/interactions', async (request, reply) => {
      const writeKey = requireWriteKey(request.headers.authorization, context.deps.config.auth);
      const source = httpSource(request.headers[SOURCE_HEADER]);
      const { items, pathOf } = itemsOf(request.body);
      checkLimits(items, request.rawBody?.length ?? 0, pathOf);
      const events = validateEvents(items, pathOf, context.now());
      const result = await ingest(context, events, { source, writeKey });
      return reply.code(202).send(result);
    });
    done();
  };
