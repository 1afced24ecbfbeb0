import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@rapport/config';
import { composeDown, composeUp, dockerEngineAnswers } from './compose.js';
import { InfraError } from './errors.js';
import { isOurs, runningProcess, stopProcess, tailOf, type ProcessRecord } from './process.js';
import { listening } from './probes.js';
import { infraServices, type InfraService, type ManagedProcess, type Profile } from './services.js';

/** How a service's endpoint was obtained, in the order of preference. */
export type Mode = 'given' | 'docker' | 'native';

export interface ServiceStatus {
  readonly name: string;
  readonly label: string;
  readonly endpoint: string;
  readonly mode: Mode;
  /** `started` by this call, `reused` from an earlier start, or only `checked` (given, docker). */
  readonly action: 'started' | 'reused' | 'checked';
  readonly readyMs: number;
  readonly pid?: number;
  readonly logFile?: string;
}

export interface Infrastructure {
  readonly services: readonly ServiceStatus[];
  /** Stops what this call started (not servers it found running or was given). */
  stop(): Promise<void>;
}

export interface ProvideOptions {
  readonly profile: Profile;
  /** `never` skips the Docker probe (the test harness uses testcontainers instead). */
  readonly docker?: 'auto' | 'never';
  readonly onProgress?: (message: string) => void;
}

/** A given endpoint must answer at once: a wrong address fails start-up, it does not hang it. */
const GIVEN_PROBE_TIMEOUT_MS = 3_000;

/**
 * Provides Kafka, Temporal and Redis: endpoints given in the environment are checked and used
 * (nothing is started for them); otherwise Docker Compose if an engine answers; otherwise the
 * native runners, which fetch into the cache once and start on loopback. All three in parallel.
 */
export async function provideInfrastructure(
  config: Config,
  options: ProvideOptions,
): Promise<Infrastructure> {
  const progress = options.onProgress ?? (() => undefined);
  // Given endpoints are checked first, so a wrong address fails before anything is started.
  const given = await Promise.all(
    infraServices
      .filter((service) => isGiven(config, service))
      .map((service) => checkGiven(service, config)),
  );
  const wanted = infraServices.filter((service) => !isGiven(config, service));
  // docker-compose.yml runs one broker: the brokers of a cluster are always the native runner's.
  const composable = wanted.filter((service) => service.nodes(config).length === 1);
  const useDocker =
    composable.length > 0 && (options.docker ?? 'auto') === 'auto' && (await dockerEngineAnswers());
  const composed = useDocker ? composable : [];
  if (useDocker) {
    progress(
      `docker: starting ${composed.map((service) => service.name).join(', ')} with docker compose`,
    );
    await composeUpRecorded(config, composed);
  }
  const native = wanted
    .filter((service) => !composed.includes(service))
    .flatMap((service) => service.nodes(config));
  const settled = await Promise.allSettled([
    ...composed.map((service) => awaitDocker(service, config)),
    ...native.map((node) => ensureRunning(node, config, options.profile, progress)),
  ]);
  const services = [
    ...given,
    ...settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
  ];
  const stop = () => stopStarted(config, services);
  const failures = settled.flatMap((result): unknown[] =>
    result.status === 'rejected' ? [result.reason] : [],
  );
  if (failures.length > 0) {
    await stop();
    throw failures.length === 1
      ? failures[0]
      : new AggregateError(failures, failures.map(String).join('\n'));
  }
  return { services, stop };
}

const isGiven = (config: Config, service: InfraService) => config.infra[service.name].given;

async function checkGiven(service: InfraService, config: Config): Promise<ServiceStatus> {
  const started = performance.now();
  try {
    await service.probe(config, GIVEN_PROBE_TIMEOUT_MS);
  } catch (error) {
    throw new InfraError(
      'INFRA_UNREACHABLE',
      service.label,
      `not reachable at ${service.endpoint(config)} (from ${service.endpointVariable}) within ${GIVEN_PROBE_TIMEOUT_MS} ms: ${reason(error)}. ` +
        `Start it, fix ${service.endpointVariable}, or unset it to let Rapport start its own.`,
      { cause: error, retriable: true },
    );
  }
  return status(service, config, 'given', 'checked', started);
}

async function awaitDocker(service: InfraService, config: Config): Promise<ServiceStatus> {
  const started = performance.now();
  await waitHealthy(service, config, undefined, `docker compose logs ${service.name}`);
  return status(service, config, 'docker', 'checked', started);
}

/**
 * Starts a managed process unless a healthy one is already recorded in the run folder, and waits
 * until its probe answers. Infrastructure and Rapport's own services both start this way.
 */
export async function ensureRunning(
  service: ManagedProcess,
  config: Config,
  profile: Profile,
  progress: (message: string) => void,
): Promise<ServiceStatus> {
  const started = performance.now();
  const existing = await runningProcess(config.infra.runDir, service.name);
  if (existing) {
    await waitHealthy(service, config, existing, existing.logFile);
    progress(`${service.name}: already running (pid ${existing.pid}) at ${existing.endpoint}`);
    return {
      ...status(service, config, 'native', 'reused', started),
      pid: existing.pid,
      logFile: existing.logFile,
    };
  }
  const { host, port } = service.address(config);
  if (await listening(host, port, 1_000)) return adoptUnrecorded(service, config, progress);
  progress(`${service.name}: starting at ${service.endpoint(config)}`);
  let record: ProcessRecord;
  try {
    record = await service.launch(config, profile);
  } catch (error) {
    if (error instanceof InfraError) throw error;
    throw new InfraError(
      'INFRA_START_FAILED',
      service.label,
      `could not be launched: ${reason(error)}`,
      { cause: error },
    );
  }
  try {
    await waitHealthy(service, config, record, record.logFile);
  } catch (error) {
    await stopProcess(config.infra.runDir, service.name); // Never leave a half-started server behind.
    throw error;
  }
  const ready = {
    ...status(service, config, 'native', 'started', started),
    pid: record.pid,
    logFile: record.logFile,
  };
  progress(
    `${service.name}: healthy in ${(ready.readyMs / 1000).toFixed(1)} s (log ${record.logFile})`,
  );
  return ready;
}

/**
 * A server the run folder has no record of already listens on the port: one started by hand, by
 * another run folder or by an orchestrator. It is used if it answers as `service`, and never
 * stopped (`reused`); anything else there would keep a second one from binding.
 */
async function adoptUnrecorded(
  service: ManagedProcess,
  config: Config,
  progress: (message: string) => void,
): Promise<ServiceStatus> {
  const started = performance.now();
  const { host, port } = service.address(config);
  try {
    await service.probe(config, 2_000);
  } catch (error) {
    throw new InfraError(
      'INFRA_PORT_IN_USE',
      service.label,
      `${host}:${port} is in use by a process rapport did not start, which does not answer as ` +
        `the ${service.label} (${oneLine(reason(error))}). Stop it, or configure another port.`,
      { cause: error },
    );
  }
  progress(`${service.name}: already answering at ${service.endpoint(config)}, not started here`);
  return status(service, config, 'native', 'reused', started);
}

/** Polls the probe until it answers, the process dies, or the start timeout passes. */
async function waitHealthy(
  service: ManagedProcess,
  config: Config,
  record: ProcessRecord | undefined,
  logHint: string,
): Promise<void> {
  const deadline = performance.now() + service.startTimeoutMs;
  let lastError: unknown;
  const { host, port } = service.address(config);
  while (performance.now() < deadline) {
    try {
      if (!(await listening(host, port, 2_000))) throw new Error(`nothing listens on ${port} yet`);
      await service.probe(config, 2_000);
      return;
    } catch (error) {
      lastError = error;
    }
    if (record && !(await isOurs(record))) {
      throw new InfraError(
        'INFRA_START_FAILED',
        service.label,
        `exited during start-up at ${service.endpoint(config)}. Log ${record.logFile}:\n${await tailOf(record.logFile)}`,
      );
    }
    await sleep(250);
  }
  const tail = record ? `:\n${await tailOf(record.logFile)}` : '';
  throw new InfraError(
    'INFRA_START_FAILED',
    service.label,
    `not healthy at ${service.endpoint(config)} after ${service.startTimeoutMs / 1000} s (${reason(lastError)}). See ${logHint}${tail}`,
    { retriable: true },
  );
}

function status(
  service: ManagedProcess,
  config: Config,
  mode: Mode,
  action: ServiceStatus['action'],
  started: number,
): ServiceStatus {
  return {
    name: service.name,
    label: service.label,
    endpoint: service.endpoint(config),
    mode,
    action,
    readyMs: Math.round(performance.now() - started),
  };
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A stranger's answer (an HTML page, say) cut to one short line for a message. */
const oneLine = (text: string, max = 120) => {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max)}…` : line;
};

const composeRecord = (config: Config) => join(config.infra.runDir, 'compose.json');

async function composeUpRecorded(config: Config, services: readonly InfraService[]): Promise<void> {
  try {
    await composeUp(services.map((service) => service.name));
  } catch (error) {
    throw new InfraError('INFRA_COMPOSE_FAILED', 'docker compose', reason(error), { cause: error });
  }
  await writeFile(composeRecord(config), JSON.stringify({ services: services.map((s) => s.name) }));
}

async function stopStarted(config: Config, services: readonly ServiceStatus[]): Promise<void> {
  await Promise.all(
    services
      .filter((service) => service.action === 'started')
      .map((service) => stopProcess(config.infra.runDir, service.name)),
  );
}

/** Stops every server recorded in the run directory, native or compose. Returns what it stopped. */
export async function stopInfrastructure(config: Config): Promise<string[]> {
  const stopped = await Promise.all(
    infraServices
      .flatMap((service) => service.recordNames)
      .map(async (name) => ((await stopProcess(config.infra.runDir, name)) ? [name] : [])),
  );
  const names: string[] = stopped.flat();
  if (
    await readFile(composeRecord(config)).then(
      () => true,
      () => false,
    )
  ) {
    await composeDown();
    await rm(composeRecord(config), { force: true });
    names.push('docker compose');
  }
  return names;
}

export interface ServiceHealth {
  /** An infrastructure service's name, or a cluster's broker's (`kafka-2`). */
  readonly name: string;
  readonly label: string;
  readonly endpoint: string;
  readonly mode: Mode | 'not running';
  readonly healthy: boolean;
  readonly detail: string;
}

/**
 * What `rapport status` shows: each service's endpoint, who runs it, and a live probe; each
 * broker of an embedded cluster on its own.
 */
export async function inspectInfrastructure(config: Config): Promise<ServiceHealth[]> {
  const units = infraServices.flatMap((service): { unit: ManagedProcess; given: boolean }[] =>
    isGiven(config, service)
      ? [{ unit: service, given: true }]
      : service.nodes(config).map((unit) => ({ unit, given: false })),
  );
  return Promise.all(
    units.map(async ({ unit, given }): Promise<ServiceHealth> => {
      const record = given ? undefined : await runningProcess(config.infra.runDir, unit.name);
      let healthy = false;
      let detail: string;
      try {
        await unit.probe(config, 2_000);
        healthy = true;
        detail = record ? `pid ${record.pid}, log ${record.logFile}` : 'answering';
      } catch (error) {
        detail = reason(error);
      }
      const mode: ServiceHealth['mode'] = given
        ? 'given'
        : record
          ? 'native'
          : healthy
            ? 'docker'
            : 'not running';
      return {
        name: unit.name,
        label: unit.label,
        endpoint: unit.endpoint(config),
        mode,
        healthy,
        detail,
      };
    }),
  );
}
