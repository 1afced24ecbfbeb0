import { loadModelParams, type Config } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import {
  startOnce,
  startOpsServer,
  type Logger,
  type OpsServer,
  type RunningService,
  type Startup,
} from '@rapport/lifecycle';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import {
  createActivities,
  destinationName,
  EngagementSettingsSchema,
  route,
  type DestinationDeps,
  type EngagementSettingsInput,
  type StepDestinations,
} from '@rapport/workflows';
import { temporalConnectionOptions } from '@rapport/workflows/connection';
import { buildWorkflowBundle } from './bundle.js';
import { cachedWorkflowsFor } from './cache.js';
import { WorkerMetrics } from './metrics.js';
import { DEFAULT_PLAYBOOKS_FILE, engagementSettings, loadPlaybooks } from './settings.js';

export interface StartWorkerOptions {
  /** The ops listener's port (0 picks one); default RAPPORT_WORKER_PORT. */
  readonly port?: number;
  /** Settings instead of those from the configuration and the playbook file (tests). */
  readonly settings?: EngagementSettingsInput;
  /** A bundle built by the caller (tests share one between workers). */
  readonly workflowBundle?: WorkflowBundle;
  /** How Kafka and Temporal are reached: waited for in a service process, tried once otherwise. */
  readonly startup?: Startup;
}

export interface StartedWorker extends RunningService {
  /** The ops listener: /healthz, /readyz, /metrics. */
  readonly url: string;
  /** Settles when the worker stops; rejects if it failed on its own (lost the server for good). */
  readonly running: Promise<void>;
}

/** How long in-flight activities may finish after a stop before they are cancelled. */
const SHUTDOWN_GRACE = '10s';

/**
 * Starts the Temporal worker for the customer engagement and follow-up workflows: settings and
 * playbooks valid; then its ops listener answers while the workflow code is bundled, topics
 * provisioned, the producer connected and Temporal reached (waited for under `runService`:
 * `Startup`); only then does it poll, so a worker that reports ready can do its work.
 */
export async function startWorker(
  config: Config,
  logger: Logger,
  options: StartWorkerOptions = {},
): Promise<StartedWorker> {
  const startup = options.startup ?? startOnce;
  const file =
    options.settings === undefined
      ? await loadPlaybooks(config.worker.playbooksFile ?? DEFAULT_PLAYBOOKS_FILE)
      : undefined;
  const settings =
    file === undefined
      ? EngagementSettingsSchema.parse(options.settings)
      : engagementSettings(config, file.playbooks, await loadModelParams(config.model.file));
  // Settings given by the caller say nothing of where steps go: they go to the configured webhook.
  const steps: StepDestinations = file?.steps ?? new Map();
  const destinationDeps: DestinationDeps = {
    webhook: config.worker.webhook,
    destinations: config.worker.destinations,
  };
  checkStepDestinations(steps, destinationDeps, logger);

  const kafka = createKafka(config.kafka, { logger, logLevel: config.logLevel });
  const producer = createInteractionProducer(kafka, config.kafka);
  const metrics = new WorkerMetrics();
  let worker: Worker | undefined;
  let connection: NativeConnection | undefined;
  let ops: OpsServer | undefined;
  try {
    ops = await startOpsServer({
      host: config.http.host,
      port: options.port ?? config.worker.port,
      checks: {
        worker: () => {
          const state = worker?.getState() ?? 'not created';
          return state === 'RUNNING'
            ? Promise.resolve()
            : Promise.reject(new Error(`worker is ${state}`));
        },
      },
      startup,
      metrics: () => metrics.render(worker?.getStatus()),
    });
    const workflowBundle =
      options.workflowBundle ??
      (config.worker.workflowBundle === undefined
        ? await buildWorkflowBundle()
        : { codePath: config.worker.workflowBundle });
    await startup.need('kafka', () => provisionTopics(kafka, config.kafka));
    await startup.need('kafka', () => producer.connect());
    connection = await startup.need('temporal', () =>
      NativeConnection.connect(temporalConnectionOptions(config.temporal)),
    );
    const created = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle,
      activities: createActivities({
        producer,
        publishTimeoutMs: config.gateway.publishTimeoutMs,
        settings,
        ...destinationDeps,
        steps,
        metrics,
      }),
      shutdownGraceTime: SHUTDOWN_GRACE,
      maxCachedWorkflows: config.worker.maxCachedWorkflows ?? cachedWorkflowsFor(),
    });
    worker = created;
    const running = created.run();
    const workerConnection = connection;
    const workerOps = ops;
    return {
      url: workerOps.url,
      running,
      description:
        `polling ${config.temporal.taskQueue} on ${config.temporal.address} ` +
        `(${settings.playbooks.length} playbooks); ops on ${workerOps.url}`,
      async stop() {
        await workerOps.close();
        if (created.getState() === 'RUNNING') created.shutdown();
        await running.catch((error: unknown) => logger.error({ err: error }, 'worker failed'));
        await producer.disconnect();
        await workerConnection.close();
      },
    };
  } catch (error) {
    await ops?.close();
    await producer.disconnect();
    await connection?.close();
    throw error;
  }
}

/**
 * Steps of the playbook file whose destination the configuration lacks. A URL of a step's own
 * without the secret that signs its posts is the file's mistake, refused now. A destination named
 * but not configured is skipped at each step that names it, as the configured webhook is when
 * unset, so the worker starts and says so once here.
 */
function checkStepDestinations(
  steps: StepDestinations,
  deps: DestinationDeps,
  logger: Logger,
): void {
  for (const [playbook, byIndex] of steps) {
    for (const [step, destination] of byIndex) {
      const target = route(destination, deps);
      if (!('missing' in target)) continue;
      if (destination.kind === 'webhook' && destination.url !== undefined) {
        throw new Error(
          'playbook steps post to webhooks but RAPPORT_FOLLOWUP_WEBHOOK_SECRET is unset',
        );
      }
      logger.warn(
        { playbook, step, destination: destinationName(destination), missing: target.missing },
        'a playbook step goes to a destination that is not configured: it will be skipped',
      );
    }
  }
}
