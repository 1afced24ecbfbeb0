import type { Config } from '@rapport/config';
import type { Asset } from '@rapport/dashboard';
import type { Model } from '@rapport/model';
import { createHttpApp, opsRoutes, startOnce, type Logger, type Startup } from '@rapport/lifecycle';
import type { ReadModelReader, RedisClient } from '@rapport/read-model';
import type { ChangeFeed } from './feed.js';
import type { PrivacyDeps } from './privacy.js';
import { createMetrics, type Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { customerRoutes } from './routes/customers.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { followUpRoutes } from './routes/follow-ups.js';
import { privacyRoutes } from './routes/privacy.js';
import { streamRoutes } from './routes/stream.js';
import { summaryRoutes } from './routes/summary.js';
import { workflowRoutes } from './routes/workflow.js';
import type { Workflows } from './workflows.js';

export interface ApiDeps {
  readonly config: Config;
  readonly reader: ReadModelReader;
  /** The read model's connection, pinged by /readyz. */
  readonly redis: RedisClient;
  readonly model: Model;
  readonly feed: ChangeFeed;
  /** The generation readers use now (cached; see GenerationCache). */
  readonly generation: () => Promise<string>;
  /** The customer workflows (Temporal): the admin route that acts on them, the one that reads them. */
  readonly workflows: Workflows;
  /** What erasure and export reach beyond the reader: the identity map, the raw keys. */
  readonly privacy: Omit<PrivacyDeps, 'reader' | 'model' | 'workflows' | 'generation' | 'now'>;
  /** The dashboard's built files; undefined when it was not built (its routes say how). */
  readonly dashboard?: ReadonlyMap<string, Asset>;
  readonly now?: () => number;
  /** Until it is over, the routes behind a key answer 503 `NOT_READY` and `/readyz` says why. */
  readonly startup?: Startup;
  readonly logger: Logger;
}

export interface ApiContext extends Omit<ApiDeps, 'privacy'> {
  readonly privacy: PrivacyDeps;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly heartbeatMs: number;
}

/**
 * The API reads nothing larger than a query string or a follow-up request (a playbook name):
 * bodies past this are refused.
 */
const BODY_LIMIT_BYTES = 16 * 1024;

export async function buildApi(deps: ApiDeps) {
  const metrics = createMetrics();
  const app = createHttpApp({
    logger: deps.logger,
    keys: deps.config.auth,
    bodyLimitBytes: BODY_LIMIT_BYTES,
    requestTimeoutMs: deps.config.http.requestTimeoutMs,
    metrics,
    ...(deps.startup && { startup: deps.startup }),
  });
  const now = deps.now ?? Date.now;
  const context: ApiContext = {
    ...deps,
    privacy: {
      ...deps.privacy,
      reader: deps.reader,
      model: deps.model,
      workflows: deps.workflows,
      generation: deps.generation,
      now,
    },
    metrics,
    now,
    heartbeatMs: deps.config.api.sseHeartbeatMs,
  };

  await app.register(customerRoutes(context));
  await app.register(summaryRoutes(context));
  await app.register(workflowRoutes(context));
  await app.register(streamRoutes(context));
  await app.register(followUpRoutes(context));
  await app.register(privacyRoutes(context));
  await app.register(dashboardRoutes(deps.dashboard));
  await app.register(
    opsRoutes({
      readiness: () => (deps.startup ?? startOnce).readiness({ redis: () => deps.redis.ping() }),
      metrics: () => metrics.registry.metrics(),
      metricsContentType: metrics.registry.contentType,
      openApi: openApiDocument(),
    }),
  );
  return app;
}

export type Api = Awaited<ReturnType<typeof buildApi>>;
