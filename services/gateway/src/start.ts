import cluster from 'node:cluster';
import { loadChannels, type Channel } from '@rapport/adapters/node';
import type { Config } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import {
  answerPrimary,
  startOnce,
  type Logger,
  type PoolMember,
  type ReadinessChecks,
  type RunningService,
  type Startup,
} from '@rapport/lifecycle';
import { connectRedis } from '@rapport/read-model';
import { buildGateway, type Gateway } from './app.js';
import { createMetrics } from './metrics.js';

export interface StartedGateway extends RunningService {
  readonly url: string;
  readonly app: Gateway;
}

/**
 * Starts the gateway: mapping files and the channels file valid, then it listens, then topics
 * provisioned, producer connected and Redis reachable (waited for under `runService`: `Startup`).
 * Until then its routes behind a key answer 503 `NOT_READY` and `/readyz` says what it waits
 * for, so a gateway that accepts is one that can. In a worker of a process pool (main.ts), it
 * listens on the port the workers share.
 */
export async function startGateway(
  config: Config,
  logger: Logger,
  options: { readonly port?: number; readonly startup?: Startup } = {},
): Promise<StartedGateway> {
  if (config.auth.write.length === 0) {
    throw new Error(
      'RAPPORT_WRITE_KEYS is empty: set at least one write key (`rapport up` sets dev keys)',
    );
  }
  const startup = options.startup ?? startOnce;
  const channels = await loadChannels(config.gateway);
  const kafka = createKafka(config.kafka, { logger, logLevel: config.logLevel });
  const producer = createInteractionProducer(kafka, config.kafka);
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  const metrics = createMetrics();
  const checks: ReadinessChecks = { kafka: () => kafka.ping(), redis: () => redis.ping() };
  // Set once a pool's worker listens (no request reaches it before): then its ops routes
  // answer for the whole pool, as the projector pool's primary does on its ops port.
  let member: PoolMember | undefined;
  const app = await buildGateway({
    config,
    publisher: producer,
    redis,
    channels,
    metrics,
    startup,
    ops: {
      readiness: () => member?.pool.readiness() ?? startup.readiness(checks),
      metrics: () => member?.pool.metrics() ?? metrics.registry.metrics(),
    },
    logger,
  });
  try {
    const url = await app.listen({
      host: config.http.host,
      port: options.port ?? config.http.gatewayPort,
    });
    if (cluster.isWorker) member = answerPrimary(() => startup.readiness(checks), metrics.registry);
    await Promise.all([
      startup
        .need('kafka', () => provisionTopics(kafka, config.kafka))
        .then(() => startup.need('kafka', () => producer.connect())),
      startup.need('redis', () => redis.ping()),
    ]);
    return {
      url,
      app,
      description: `listening on ${url} (channels: ${channels.map(describeChannel).join(', ')})`,
      async stop() {
        await member?.close();
        await app.close(); // Stops accepting, then waits for in-flight requests to be answered.
        await producer.disconnect();
        await redis.quit();
      },
    };
  } catch (error) {
    await member?.close();
    await app.close();
    await producer.disconnect();
    redis.disconnect();
    throw error;
  }
}

/** `billing (stripe)` for a signed channel, by its scheme; never a secret. */
const describeChannel = ({ name, verifier }: Channel) =>
  verifier === undefined ? name : `${name} (${verifier.scheme})`;
