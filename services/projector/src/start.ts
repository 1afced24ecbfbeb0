import { loadModelParams } from '@rapport/config';
import cluster from 'node:cluster';
import type { Config } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import { createModel } from '@rapport/model';
import {
  answerPrimary,
  startOnce,
  startOpsServer,
  type Logger,
  type OpsServer,
  type ReadinessChecks,
  type RunningService,
  type Startup,
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
 * Starts the projector: its health listener first, then topics provisioned (it may start before
 * the gateway), Redis reachable and the consumer group of the current generation joined (waited
 * for under `runService`: `Startup`); until then `/readyz` says what it waits for.
 */
export async function startProjector(
  config: Config,
  logger: Logger,
  options: {
    readonly port?: number;
    readonly now?: () => number;
    readonly startup?: Startup;
  } = {},
): Promise<StartedProjector> {
  const startup = options.startup ?? startOnce;
  const kafka = createKafka(config.kafka, { logger, logLevel: config.logLevel });
  const producer = createInteractionProducer(kafka, config.kafka);
  const model = createModel(await loadModelParams(config.model.file));
  const readModel = connectReadModel(config, model);
  const metrics = createMetrics();
  const follower = new Follower({
    config,
    kafka,
    producer,
    readModel,
    model,
    metrics,
    logger,
    now: options.now ?? Date.now,
  });
  const checks: ReadinessChecks = {
    kafka: () => kafka.ping(),
    redis: async () => void (await readModel.redis.ping()),
    // In a consumer group, and no partition stalled (records waiting past RAPPORT_STALL_AFTER).
    consumer: () => follower.ready(),
  };
  metrics.watchPartitions(() => follower.waiting());
  let ops: OpsServer | undefined;
  try {
    // In a worker of a process pool (main.ts), the pool's primary serves the port for all.
    ops = cluster.isWorker
      ? answerPrimary(() => startup.readiness(checks), metrics.registry)
      : await startOpsServer({
          host: config.http.host,
          port: options.port ?? config.projector.port,
          metrics: () => metrics.registry.metrics(),
          checks,
          startup,
        });
    await Promise.all([
      startup
        .need('kafka', () => provisionTopics(kafka, config.kafka))
        .then(() => startup.need('kafka', () => producer.connect())),
      startup.need('redis', () => readModel.redis.ping()),
    ]);
    await startup.need('consumer', () => follower.start());
    const running = ops;
    return {
      url: running.url,
      follower,
      description: `consuming ${config.kafka.topics.interactions} into generation ${follower.pointer?.generation} (group ${follower.pointer?.groupId}); health on ${running.url}`,
      async stop() {
        await running.close();
        await follower.stop(); // Finishes the batch in flight and commits what it resolved.
        await producer.disconnect();
        await readModel.close();
      },
    };
  } catch (error) {
    await ops?.close();
    await follower.stop();
    await producer.disconnect();
    readModel.redis.disconnect();
    throw error;
  }
}
