import type { FastifyPluginCallback } from 'fastify';
import type { ApiContext } from '../app';
import { openApiDocument } from '../openapi';

/** Liveness, readiness (Redis reachable), Prometheus metrics and the OpenAPI document. */
export const opsRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const document = openApiDocument();
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      try {
        await context.store.redis.ping();
        return reply.send({ status: 'ready', checks: { redis: 'ok' } });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return reply.code(503).send({ status: 'not_ready', checks: { redis: reason } });
      }
    });
    app.get('/metrics', async (_request, reply) =>
      reply
        .type(context.metrics.registry.contentType)
        .send(await context.metrics.registry.metrics()),
    );
    app.get('/openapi.json', () => document);
    done();
  };
