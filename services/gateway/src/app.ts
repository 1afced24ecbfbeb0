import type { ChannelAdapter } from '@rapport/adapters';
import type { Config } from '@rapport/config';
import type { DeadLetter } from '@rapport/kafka';
import Fastify, { LogController, type FastifyError } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError as HttpApiError, type Logger, type OpsSources } from '@rapport/service';
import { ApiError } from './errors';
import { INGEST_LIMITS as LIMITS } from '@rapport/schema';
import { Guards } from './guards';
import type { IngestDeps, Publisher } from './ingest';
import type { Metrics } from './metrics';
import { channelRoutes } from './routes/channels';
import { interactionRoutes } from './routes/interactions';
import { opsRoutes } from './routes/ops';
import { segmentRoutes } from './routes/segment';

export interface GatewayPublisher extends Publisher {
  publishDeadLetters(letters: readonly DeadLetter[], options: { timeoutMs: number }): Promise<void>;
}

export interface GatewayDeps {
  readonly config: Config;
  readonly publisher: GatewayPublisher;
  readonly redis: Redis;
  readonly adapters: readonly ChannelAdapter[];
  readonly metrics: Metrics;
  /** What `/readyz` and `/metrics` answer: this process's own, or its process pool's. */
  readonly ops: OpsSources;
  readonly now?: () => number;
  readonly logger: Logger;
}

export interface RouteContext extends IngestDeps {
  readonly deps: GatewayDeps;
  readonly publisher: GatewayPublisher;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received, for webhook signatures and dead letters. */
    rawBody?: Buffer;
  }
}

export async function buildGateway(deps: GatewayDeps) {
  const app = Fastify({
    bodyLimit: LIMITS.requestBytes,
    // Per-request log lines at thousands of requests a second cost more than the work itself.
    logController: new LogController({ disableRequestLogging: true }),
    loggerInstance: deps.logger,
  });
  const { metrics } = deps;
  const context: RouteContext = {
    deps,
    metrics,
    publisher: deps.publisher,
    guards: new Guards(deps.redis, {
      keyPrefix: deps.config.redis.keyPrefix,
      dedupWindowSeconds: deps.config.gateway.dedupWindowSeconds,
      pendingTtlMs: deps.config.gateway.publishTimeoutMs * 2,
      rateLimitPerSecond: deps.config.gateway.rateLimitPerSecond,
    }),
    publishTimeoutMs: deps.config.gateway.publishTimeoutMs,
    now: deps.now ?? Date.now,
  };

  app.decorateRequest('rawBody', undefined);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    request.rawBody = body as Buffer;
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch (error) {
      done(
        new ApiError(
          400,
          'INVALID_JSON',
          `the body is not valid JSON: ${(error as Error).message}`,
        ),
      );
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
    });
  });
  app.setErrorHandler((error: FastifyError | HttpApiError, request, reply) => {
    const apiError = toApiError(error);
    metrics.rejections.inc({ reason: apiError.code });
    if (apiError.status >= 500 && apiError.code === 'INTERNAL') request.log.error(error);
    if (apiError.retryAfterSeconds !== undefined)
      reply.header('retry-after', apiError.retryAfterSeconds);
    return reply.code(apiError.status).send(apiError.toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(new ApiError(404, 'NOT_FOUND', `no route ${request.method} ${request.url}`).toJSON()),
  );

  await app.register(interactionRoutes(context));
  await app.register(segmentRoutes(context));
  await app.register(channelRoutes(context));
  await app.register(opsRoutes(context));
  return app;
}

export type Gateway = Awaited<ReturnType<typeof buildGateway>>;

/**
 * Fastify's own errors (body too large, wrong media type) in the one error shape; answers thrown
 * on purpose (the gateway's, and the shared key check's) pass as they are.
 */
function toApiError(error: FastifyError | HttpApiError): HttpApiError {
  if (error instanceof HttpApiError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new ApiError(
      413,
      'PAYLOAD_TOO_LARGE',
      `the request is larger than ${LIMITS.requestBytes / 1024} KB`,
    );
  }
  if (
    error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ||
    error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
  ) {
    return new ApiError(
      400,
      'INVALID_JSON',
      'send a JSON body with `Content-Type: application/json`',
    );
  }
  if (error.statusCode !== undefined && error.statusCode < 500) {
    return new ApiError(error.statusCode, 'VALIDATION_FAILED', error.message);
  }
  return new ApiError(500, 'INTERNAL', 'internal error');
}
