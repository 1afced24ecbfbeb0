import type { FastifyPluginCallback } from 'fastify';
import type { RouteContext } from '../app';
import { openApiDocument } from '../openapi';

/** Liveness, readiness (Kafka and Redis reachable), Prometheus metrics and the OpenAPI document. */
export const opsRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const document = openApiDocument();
    app.get('/healthz', () => ({ status: 'ok' }));
    app.get('/readyz', async (_request, reply) => {
      const [kafka, redis] = await Promise.allSettled([
        context.deps.kafkaReady(),
        context.deps.redis.ping(),
      ]);
      const checks = { kafka: describe(kafka), redis: describe(redis) };
      const ready = kafka.status === 'fulfilled' && redis.status === 'fulfilled';
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    });
    app.get('/metrics', async (_request, reply) =>
      reply
        .type(context.metrics.registry.contentType)
        .send(await context.metrics.registry.metrics()),
    );
    app.get('/openapi.json', () => document);
    done();
  };

const describe = (result: PromiseSettledResult<unknown>) =>
  result.status === 'fulfilled'
    ? 'ok'
    : result.reason instanceof Error
      ? result.reason.message
      : String(result.reason);
