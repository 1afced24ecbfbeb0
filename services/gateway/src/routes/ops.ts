import type { FastifyPluginCallback } from 'fastify';
import { readiness, readinessStatus } from '@rapport/service';
import type { RouteContext } from '../app';
import { openApiDocument } from '../openapi';

/** Liveness, readiness (Kafka and Redis reachable), Prometheus metrics and the OpenAPI document. */
export const opsRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const document = openApiDocument();
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const body = await readiness({
        kafka: () => context.deps.kafkaReady(),
        redis: () => context.deps.redis.ping(),
      });
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
