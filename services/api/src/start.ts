import { loadModelParams, type Config } from '@rapport/config';
import { loadDashboard } from '@rapport/dashboard';
import { createModel } from '@rapport/model';
import { startOnce, type Logger, type RunningService, type Startup } from '@rapport/lifecycle';
import { connectReadModel } from '@rapport/read-model';
import { buildApi, type Api } from './app.js';
import { ChangeFeed } from './feed.js';
import { GenerationCache } from './generation.js';
import { workflowsOf } from './workflows.js';

export interface StartedApi extends RunningService {
  readonly url: string;
  readonly app: Api;
}

/**
 * Starts the query API: it listens first, then Redis reachable (waited for under `runService`:
 * `Startup`); until then its routes behind a key answer 503 `NOT_READY`, so an API that answers
 * them is one that can read. Temporal is not waited for: only the workflow routes (the follow-up
 * request, the workflow read) need it, and they connect on first use.
 */
export async function startApi(
  config: Config,
  logger: Logger,
  options: {
    readonly port?: number;
    readonly now?: () => number;
    readonly startup?: Startup;
  } = {},
): Promise<StartedApi> {
  if (config.auth.read.length === 0) {
    throw new Error(
      'RAPPORT_READ_KEYS is empty: set at least one read key (`rapport up` sets dev keys)',
    );
  }
  const startup = options.startup ?? startOnce;
  const model = createModel(await loadModelParams(config.model.file));
  const readModel = connectReadModel(config, model);
  // Connected on first use: the API serves the read model whether Temporal answers or not.
  const workflows = workflowsOf(config.temporal, logger);
  const generations = new GenerationCache(readModel.generations);
  // The feed's blocking reads hold connections of their own: never the shared one.
  const feed = new ChangeFeed(
    readModel.reader,
    readModel.redis,
    async () => (await generations.pointer()).shards,
    logger,
  );
  let app: Api | undefined;
  try {
    const dashboard = await loadDashboard();
    if (dashboard === undefined) {
      logger.warn('the dashboard is not built: /dashboard/ answers 503 until it is');
    }
    app = await buildApi({
      config,
      ...(dashboard === undefined ? {} : { dashboard }),
      reader: readModel.reader,
      redis: readModel.redis,
      privacy: {
        identities: readModel.identities,
        redis: readModel.redis,
        keys: readModel.keys,
        retentionMs: config.kafka.retentionMs,
        topics: config.kafka.topics,
      },
      model,
      feed,
      generation: () => generations.current(),
      workflows,
      startup,
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const url = await app.listen({
      host: config.http.host,
      port: options.port ?? config.http.apiPort,
    });
    await startup.need('redis', () => readModel.redis.ping());
    const running = app;
    return {
      url,
      app: running,
      description: `listening on ${url}`,
      async stop() {
        await running.close(); // Ends open streams, then waits for requests in flight.
        await feed.close();
        await workflows.close();
        await readModel.close();
      },
    };
  } catch (error) {
    await app?.close();
    await feed.close();
    await workflows.close();
    readModel.redis.disconnect();
    throw error;
  }
}
