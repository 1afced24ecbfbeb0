import { loadModelParams, type Config } from '@rapport/config';
import { createInteractionProducer, createKafka, provisionTopics } from '@rapport/kafka';
import { startOpsServer, type Logger, type RunningService } from '@rapport/lifecycle';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import {
  createActivities,
  EngagementSettingsSchema,
  type EngagementSettingsInput,
  type StepUrls,
} from '@rapport/workflows';
import { temporalConnectionOptions } from '@rapport/workflows/connection';
import { buildWorkflowBundle } from './bundle.js';
import { WorkerMetrics } from './metrics.js';
import { DEFAULT_PLAYBOOKS_FILE, engagementSettings, loadPlaybooks } from './settings.js';

export interface StartWorkerOptions {
  /** The ops listener's port (0 picks one); default RAPPORT_WORKER_PORT. */
  readonly port?: number;
  /** Settings instead of those from the configuration and the playbook file (tests). */
  readonly settings?: EngagementSettingsInput;
  /** A bundle built by the caller (tests share one between workers). */
  readonly workflowBundle?: WorkflowBundle;
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
 * playbooks valid, topics provisioned, producer connected, workflow code bundled; only then does
 * it poll, so a worker that reports ready can do its work.
 */
export async function startWorker(
  config: Config,
  logger: Logger,
  options: StartWorkerOptions = {},
): Promise<StartedWorker> {
  const file =
    options.settings === undefined
      ? await loadPlaybooks(config.worker.playbooksFile ?? DEFAULT_PLAYBOOKS_FILE)
      : undefined;
  const settings =
    file === undefined
      ? EngagementSettingsSchema.parse(options.settings)
      : engagementSettings(config, file.playbooks, await loadModelParams(config.model.file));
  // Settings given by the caller have no step URLs: their steps post to the configured one.
  const stepUrls: StepUrls = file?.stepUrls ?? new Map();
  if (stepUrls.size > 0 && config.worker.webhook.secret === undefined) {
    throw new Error('playbook steps post to webhooks but RAPPORT_FOLLOWUP_WEBHOOK_SECRET is unset');
  }
  const workflowBundle =
    options.workflowBundle ??
    (config.worker.workflowBundle === undefined
      ? await buildWorkflowBundle()
      : { codePath: config.worker.workflowBundle });

  const kafka = createKafka(config.kafka, { logger, logLevel: config.logLevel });
  await provisionTopics(kafka, config.kafka);
  const producer = createInteractionProducer(kafka, config.kafka);
  await producer.connect();
  const metrics = new WorkerMetrics();
  let connection: NativeConnection | undefined;
  try {
    connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowBundle,
      activities: createActivities({
        producer,
        publishTimeoutMs: config.gateway.publishTimeoutMs,
        settings,
        webhook: { ...config.worker.webhook, stepUrls },
        metrics,
      }),
      shutdownGraceTime: SHUTDOWN_GRACE,
    });
    const running = worker.run();
    const ops = await startOpsServer({
      host: config.http.host,
      port: options.port ?? config.worker.port,
      checks: {
        worker: () =>
          worker.getState() === 'RUNNING'
            ? Promise.resolve()
            : Promise.reject(new Error(`worker is ${worker.getState()}`)),
      },
      metrics: () => metrics.render(worker.getStatus()),
    });
    const workerConnection = connection;
    return {
      url: ops.url,
      running,
      description:
        `polling ${config.temporal.taskQueue} on ${config.temporal.address} ` +
        `(${settings.playbooks.length} playbooks); ops on ${ops.url}`,
      async stop() {
        await ops.close();
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch((error: unknown) => logger.error({ err: error }, 'worker failed'));
        await producer.disconnect();
        await workerConnection.close();
      },
    };
  } catch (error) {
    await producer.disconnect();
    await connection?.close();
    throw error;
  }
}
