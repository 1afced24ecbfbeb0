import type { Config } from '@rapport/config';
import { createModel } from '@rapport/model';
import type { Logger, RunningService } from '@rapport/service';
import { ReadModel, readModelOptions } from '@rapport/store';
import { Redis } from 'ioredis';
import { buildApi, type Api } from './app';
import { ChangeFeed } from './feed';
import { GenerationCache } from './generation';

export interface StartedApi extends RunningService {
  readonly url: string;
  readonly app: Api;
}

/** Starts the query API: Redis reachable first, so an API that answers is one that can read. */
export async function startApi(
  config: Config,
  logger: Logger,
  options: { readonly port?: number; readonly now?: () => number } = {},
): Promise<StartedApi> {
  if (config.auth.readKeys.length === 0) {
    throw new Error(
      'RAPPORT_READ_KEYS is empty: set at least one read key (`rapport up` sets dev keys)',
    );
  }
  const connect = () => new Redis(config.redis.url, { maxRetriesPerRequest: 2 });
  const redis = new Redis(config.redis.url, {
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
  });
  try {
    await redis.ping();
    const model = createModel();
    const store = new ReadModel(redis, model, readModelOptions(config));
    const generations = new GenerationCache(store);
    // The feed's blocking reads hold a connection each: never the shared one.
    const feed = new ChangeFeed(store, connect, logger);
    const app = await buildApi({
      config,
      store,
      model,
      feed,
      generation: () => generations.current(),
      logger,
      ...(options.now ? { now: options.now } : {}),
    });
    const url = await app.listen({
      host: config.http.host,
      port: options.port ?? config.http.apiPort,
    });
    return {
      url,
      app,
      description: `listening on ${url}`,
      async stop() {
        await app.close(); // Ends open streams, then waits for requests in flight.
        await feed.close();
        await redis.quit();
      },
    };
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}
