import type { Config } from '@rapport/config';
import type { Model } from '@rapport/model';
import { ApiError, requireKey, type Logger } from '@rapport/service';
import type { ReadModel } from '@rapport/store';
import Fastify, { LogController, type FastifyError } from 'fastify';
import type { ChangeFeed } from './feed';
import { createMetrics, type Metrics } from './metrics';
import { customerRoutes } from './routes/customers';
import { opsRoutes } from './routes/ops';
import { streamRoutes } from './routes/stream';

export interface ApiDeps {
  readonly config: Config;
  readonly store: ReadModel;
  readonly model: Model;
  readonly feed: ChangeFeed;
  /** The generation readers use now (cached; see GenerationCache). */
  readonly generation: () => Promise<string>;
  readonly now?: () => number;
  readonly logger: Logger;
}

export interface ApiContext extends ApiDeps {
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly heartbeatMs: number;
}

export async function buildApi(deps: ApiDeps) {
  const app = Fastify({
    // Per-request log lines at thousands of requests a second cost more than the work itself.
    logController: new LogController({ disableRequestLogging: true }),
    loggerInstance: deps.logger,
  });
  const metrics = createMetrics();
  const context: ApiContext = {
    ...deps,
    metrics,
    now: deps.now ?? Date.now,
    heartbeatMs: deps.config.api.sseHeartbeatMs,
  };

  // Every /v1 route reads customer data: a read key, never a write key (those sit in browsers).
  app.addHook('onRequest', (request, _reply, hookDone) => {
    if (!request.url.startsWith('/v1/')) return hookDone();
    try {
      requireKey(request.headers.authorization, deps.config.auth, 'read');
      hookDone();
    } catch (error) {
      hookDone(error instanceof Error ? error : new Error(String(error)));
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: reply.statusCode });
    if (route !== '/v1/stream') metrics.seconds.observe({ route }, reply.elapsedTime / 1000);
  });
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.code === 'INTERNAL') request.log.error(error);
    return reply.code(apiError.status).send(apiError.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(new ApiError(404, 'NOT_FOUND', `no route ${request.method} ${request.url}`).toJSON()),
  );

  await app.register(customerRoutes(context));
  await app.register(streamRoutes(context));
  await app.register(opsRoutes(context));
  return app;
}

export type Api = Awaited<ReturnType<typeof buildApi>>;

/** Fastify's own errors in the one error shape; answers thrown on purpose pass as they are. */
function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return new ApiError(error.statusCode, 'VALIDATION_FAILED', error.message);
  }
  return new ApiError(500, 'INTERNAL', 'internal error');
}
