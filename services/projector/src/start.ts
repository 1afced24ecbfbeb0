import { loadModelParams } from '@rapport/config';
import cluster from 'node:cluster';
import type { Config } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import { createModel } from '@rapport/model';
import {
  answerPrimary,
  startOpsServer,
  type Logger,
  type ReadinessChecks,
  type RunningService,
} from '@rapport/lifecycle';
import { connectReadModel } from '@rapport/read-model';
import { Follower } from './follower.js';
import { createMetrics } from './metrics.js';

export interface StartedProjector extends RunningService {
  /** Where `/healthz`, `/readyz` and `/metrics` answer. */
  readonly url: string;
  readonly follower: Follower;
}

/**
 * Starts the projector: topics provisioned (it may start before the gateway), Redis reachable,
 * the consumer group of the current generation joined; then its health listener answers.
 */
export async function startProjector(
  config: Config,
  logger: Logger,
  options: { readonly port?: number; readonly now?: () => number } = {},
): Promise<StartedProjector> {
  const kafka = createKafka(config.kafka, { logger, logLevel: config.logLevel });
  await provisionTopics(kafka, config.kafka);
  const producer = createInteractionProducer(kafka, config.kafka);
  await producer.connect();
  const model = createModel(await loadModelParams(config.model.file));
  const readModel = connectReadModel(config, model);
  const metrics = createMetrics();
  let follower: Follower | undefined;
  try {
    await readModel.redis.ping();
    follower = new Follower({
      config,
      kafka,
      producer,
      readModel,
      model,
      metrics,
      logger,
      now: options.now ?? Date.now,
    });
    await follower.start();
    const running = follower;
    const checks: ReadinessChecks = {
      kafka: () => kafka.ping(),
      redis: async () => void (await readModel.redis.ping()),
      consumer: () =>
        running.running
          ? Promise.resolve()
          : Promise.reject(new Error('not in a consumer group (following a replay?)')),
    };
    // In a worker of a process pool (main.ts), the pool's primary serves the port for all.
    const ops = cluster.isWorker
      ? answerPrimary(checks, metrics.registry)
      : await startOpsServer({
          host: config.http.host,
          port: options.port ?? config.projector.port,
          metrics: () => metrics.registry.metrics(),
          checks,
        });
    const { url } = ops;
    return {
      url,
      follower: running,
      description: `consuming ${config.kafka.topics.interactions} into generation ${running.pointer?.generation} (group ${running.pointer?.groupId}); health on ${url}`,
      async stop() {
        await ops.close();
        await running.stop(); // Finishes the batch in flight and commits what it resolved.
        await producer.disconnect();
        await readModel.close();
      },
    };
  } catch (error) {
    await follower?.stop();
    await producer.disconnect();
    readModel.redis.disconnect();
    throw error;
  }
}
