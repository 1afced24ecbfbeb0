import type { Channel } from '@rapport/adapters/node';
import type { Config } from '@rapport/config';
import type { DeadLetter } from '@rapport/kafka';
import { INGEST_LIMITS as LIMITS } from '@rapport/schema';
import {
  createHttpApp,
  opsRoutes,
  type Logger,
  type OpsSources,
  type Startup,
} from '@rapport/lifecycle';
import { Identities, identitiesOptions } from '@rapport/identity';
import type { RedisClient } from '@rapport/read-model';
import { Guards } from './guards.js';
import type { IngestDeps, Publisher } from './ingest.js';
import type { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { channelRoutes } from './routes/channels.js';
import { identityRoutes } from './routes/identities.js';
import { interactionRoutes } from './routes/interactions.js';
import { segmentRoutes } from './routes/segment.js';

export interface GatewayPublisher extends Publisher {
  publishDeadLetters(letters: readonly DeadLetter[], options: { timeoutMs: number }): Promise<void>;
}

export interface GatewayDeps {
  readonly config: Config;
  readonly publisher: GatewayPublisher;
  readonly redis: RedisClient;
  /** What `/v1/channels/:channel` serves (`loadChannels` in @rapport/adapters/node). */
  readonly channels: readonly Channel[];
  readonly metrics: Metrics;
  /** What `/readyz` and `/metrics` answer: this process's own, or its process pool's. */
  readonly ops: OpsSources;
  /** Until it is over, the routes behind a key or a signature answer 503 `NOT_READY`. */
  readonly startup?: Startup;
  readonly now?: () => number;
  readonly logger: Logger;
}

export interface RouteContext extends IngestDeps {
  readonly deps: GatewayDeps;
  readonly publisher: GatewayPublisher;
}

export async function buildGateway(deps: GatewayDeps) {
  const { metrics, config } = deps;
  const app = createHttpApp({
    logger: deps.logger,
    keys: config.auth,
    bodyLimitBytes: LIMITS.requestBytes,
    requestTimeoutMs: config.http.requestTimeoutMs,
    metrics,
    ...(deps.startup && { startup: deps.startup }),
  });
  const context: RouteContext = {
    deps,
    metrics,
    publisher: deps.publisher,
    guards: new Guards(deps.redis, {
      keyPrefix: config.redis.keyPrefix,
      dedupWindowSeconds: config.gateway.dedupWindowSeconds,
      pendingTtlMs: config.gateway.publishTimeoutMs * 2,
      rateLimitPerSecond: config.gateway.rateLimitPerSecond,
    }),
    identities: new Identities(deps.redis, identitiesOptions(config)),
    publishTimeoutMs: config.gateway.publishTimeoutMs,
    now: deps.now ?? Date.now,
    logger: deps.logger,
  };

  await app.register(interactionRoutes(context));
  await app.register(segmentRoutes(context));
  await app.register(identityRoutes(context));
  await app.register(channelRoutes(context));
  await app.register(
    opsRoutes({
      readiness: () => deps.ops.readiness(),
      metrics: () => deps.ops.metrics(),
      metricsContentType: metrics.registry.contentType,
      openApi: openApiDocument(),
    }),
  );
  return app;
}

export type Gateway = Awaited<ReturnType<typeof buildGateway>>;
