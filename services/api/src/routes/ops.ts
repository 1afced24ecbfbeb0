import type { FastifyPluginCallback } from 'fastify';
import { readiness, readinessStatus } from '@rapport/service';
import type { ApiContext } from '../app';
import { openApiDocument } from '../openapi';

/** Liveness, readiness (Redis reachable), Prometheus metrics and the OpenAPI document. */
export const opsRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const document = openApiDocument();
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const body = await readiness({ redis: () => context.store.redis.ping() });
      return reply.code(readinessStatus(body)).send(body);
    });
    app.get('/metrics', async (_request, reply) =>
      reply
        .type(context.metrics.registry.contentType)
        .send(await context.metrics.registry.metrics()),
    );
    app.get('/openapi.json', () => document);
    done();
  };
