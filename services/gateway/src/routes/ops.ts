import type { FastifyPluginCallback } from 'fastify';
import { readinessStatus } from '@rapport/service';
import type { RouteContext } from '../app';
import { openApiDocument } from '../openapi';

/**
 * Liveness, readiness (Kafka and Redis reachable), Prometheus metrics and the OpenAPI document;
 * in a process pool, readiness and metrics are the whole pool's, whichever worker answers.
 */
export const opsRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const document = openApiDocument();
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const body = await context.deps.ops.readiness();
      return reply.code(readinessStatus(body)).send(body);
    });
    app.get('/metrics', async (_request, reply) =>
      reply.type(context.metrics.registry.contentType).send(await context.deps.ops.metrics()),
    );
    app.get('/openapi.json', () => document);
    done();
  };
