import { ConfigError, loadConfig, type Config } from '@rapport/config';
import { pino, type DestinationStream, type Logger } from 'pino';
import { WaitingStartup, type Startup } from './startup.js';

export type { Logger } from 'pino';

export interface RunningService {
  /** One line for the start-up log: where the service listens or what it consumes. */
  readonly description: string;
  /** Stops taking work, finishes what is in flight, and closes connections. */
  stop(): Promise<void>;
}

/** How long a stop may take before the process exits anyway (Kubernetes' default grace is 30 s). */
const STOP_GRACE_MS = 25_000;

/**
 * Fields that hold keys, passwords or secrets wherever they appear in a logged object, up to two
 * levels down (`err.config.password`): printed as `[redacted]`, never as their value.
 */
const SECRET_FIELDS = ['authorization', 'password', 'secret', 'apiKey', 'sasl', 'auth', 'keys'];
const REDACTED_PATHS = SECRET_FIELDS.flatMap((field) => [
  field,
  `*.${field}`,
  `*.*.${field}`,
  `*.headers.${field}`,
]);

export function createLogger(
  config: Pick<Config, 'logLevel'>,
  name: string,
  options: { readonly destination?: DestinationStream } = {},
): Logger {
  const settings = {
    name,
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/**
 * Runs a service process: parses the config once, starts the service, and on SIGINT or SIGTERM
 * stops it gracefully (a second signal while stopping is ignored; the grace timer bounds it).
 * Its servers are waited for while it starts (`Startup`), and a signal meanwhile ends the wait
 * and exits 0. Any other start-up failure (invalid configuration, a file that does not parse, a
 * port in use) exits 1 with its message, never a half-started process.
 */
export async function runService(
  name: string,
  start: (config: Config, logger: Logger, startup: Startup) => Promise<RunningService>,
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`${name}: ${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(1);
  }
  const logger = createLogger(config, name);
  const startup = new WaitingStartup(logger);
  let service: RunningService | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping ${name}`);
    setTimeout(() => {
      logger.error(`${name} did not stop within ${STOP_GRACE_MS} ms; exiting`);
      process.exit(1);
    }, STOP_GRACE_MS).unref();
    // While it starts, `start` itself rejects on the stop and cleans up (below).
    if (service === undefined) startup.stop();
    else stopService(name, service, logger);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    service = await start(config, logger, startup);
  } catch (error) {
    if (stopping) {
      logger.info(`${name} stopped before it was ready`);
      process.exit(0);
    }
    logger.fatal(
      { err: error },
      `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  }
  // Told to stop as its last step finished: it stops now that it can.
  if (stopping) return stopService(name, service, logger);
  startup.finish();
  logger.info(`${name} ready: ${service.description}`);
}

function stopService(name: string, service: RunningService, logger: Logger): void {
  service.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, `${name} stopped with an error`);
      process.exit(1);
    },
  );
}
export { ApiError, ErrorSchema, type ErrorBody, type HttpIssue } from './http/errors.js';
export { presentedKey, type Caller, type KeySets } from './http/keys.js';
export { MAX_JSON_DEPTH, parseJsonBody } from './http/json.js';
export { opsRoutes, type OpsRoutesOptions } from './http/ops-routes.js';
export {
  Components,
  instantPattern,
  portablePattern,
  type Schema,
} from './http/openapi/components.js';
export { serviceDocument, type ServiceDocument } from './http/openapi/document.js';
export {
  BODY_ERRORS,
  errorAnswer,
  errors,
  KEYED_ERRORS,
  PUBLIC_ERRORS,
  retryAfter,
  type ErrorName,
} from './http/openapi/errors.js';
export { createHttpApp, type Access, type HttpApp, type HttpShellOptions } from './http/shell.js';
export { consumerMetrics, type WaitingPartition } from './consumer-metrics.js';
export { createMetricSet, type MetricSet, type MetricSetOptions } from './metrics.js';
export { startOpsServer, type OpsServer, type OpsServerOptions, type OpsSources } from './ops.js';
export { startPooled, type ProcessPoolOptions } from './pool.js';
export { startOnce, StartupError, type Startup } from './startup.js';
export { answerPrimary, type PoolMember } from './pool-worker.js';
export {
  mergeReadiness,
  readiness,
  readinessStatus,
  type Readiness,
  type ReadinessChecks,
} from './readiness.js';
