import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@rapport/config';
import {
  ensureRunning,
  isOurs,
  readRecord,
  stopProcess,
  tailOf,
  type ManagedProcess,
  type ProcessRecord,
  type ServiceStatus,
} from '@rapport/infra';
import { seconds } from './output.js';

/** How often a supervised service is looked at: an exit is noticed within this. */
const POLL_MS = 500;
/**
 * The pause before a service that exited starts again: 1 s, doubled with each exit in a row up
 * to 30 s, so a service that cannot start retries slowly and visibly instead of spinning.
 */
const FIRST_RESTART_MS = 1_000;
const MAX_RESTART_MS = 30_000;
/** A service that ran this long before it exited starts again after the first pause. */
const STABLE_AFTER_MS = 60_000;
/** The lines of a log shown when its service exited: usually enough to say why. */
const TAIL_LINES = 8;

export interface RunningServices {
  /** Each service's endpoint and whether this command started it or found it running. */
  readonly statuses: readonly ServiceStatus[];
  /**
   * From now on, a service this command started that exits without being asked is started again
   * after a pause, and each exit and restart reported. `rapport down`, which stops a service and
   * then removes its record, is asking.
   */
  supervise(): void;
  /** Stops supervising, then the services this command started, the last first. */
  stop(): Promise<void>;
}

/**
 * Starts `services` in order, each once the one before is ready; one already running (recorded
 * in the run folder by an earlier `rapport up --detach`, or answering on its port) is used as it
 * is. Only the services it started are its own to restart and to stop: when one fails to start,
 * it stops those and leaves the others running.
 */
export async function startServices(
  config: Config,
  services: readonly ManagedProcess[],
  report: (message: string) => void,
): Promise<RunningServices> {
  const statuses: ServiceStatus[] = [];
  const own: ManagedProcess[] = [];
  const stopOwn = async () => {
    for (const service of [...own].reverse()) await stopProcess(config.infra.runDir, service.name);
  };
  try {
    for (const service of services) {
      const status = await ensureRunning(service, config, 'dev', report);
      statuses.push(status);
      if (status.action === 'started') own.push(service);
    }
  } catch (error) {
    await stopOwn();
    throw error;
  }
  const stopping = new AbortController();
  let watching: Promise<void>[] = [];
  return {
    statuses,
    supervise() {
      watching = own.map((service) => watch(service, config, report, stopping.signal));
    },
    async stop() {
      stopping.abort();
      await Promise.all(watching);
      await stopOwn();
    },
  };
}

/** Restarts `service` whenever its process exits on its own, until `stopped` aborts. */
async function watch(
  service: ManagedProcess,
  config: Config,
  report: (message: string) => void,
  stopped: AbortSignal,
): Promise<void> {
  const { name } = service;
  let record = await readRecord(config.infra.runDir, name);
  let startedAt = Date.now();
  let exits = 0;
  let ready = true;
  while (record !== undefined) {
    if (!(await pause(POLL_MS, stopped))) return;
    if (await isOurs(record)) {
      if (!ready) ready = await answers(service, config, report);
      continue;
    }
    if (!(await stillOurs(config, name, record, report))) return;
    const ranMs = Date.now() - startedAt;
    exits = ranMs >= STABLE_AFTER_MS ? 1 : exits + 1;
    const delayMs = Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** (exits - 1));
    report(
      `${name} exited after ${seconds(ranMs)} (pid ${record.pid}); starting it again in ` +
        `${seconds(delayMs)}. The end of ${record.logFile}:\n` +
        indent(await tailOf(record.logFile, TAIL_LINES)),
    );
    if (!(await pause(delayMs, stopped))) return;
    if (!(await stillOurs(config, name, record, report))) return;
    startedAt = Date.now();
    try {
      record = await service.launch(config, 'dev');
      ready = false;
      report(`${name}: started again (pid ${record.pid}), appending to ${record.logFile}`);
    } catch (error) {
      // The record still names the exited process: the next look finds it gone and waits longer.
      report(
        `${name} could not be started again: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/**
 * Whether the exited process is still the one the run folder records for `name`: its record is
 * gone once `rapport down` stopped it, and names another process once something else restarted it.
 */
async function stillOurs(
  config: Config,
  name: string,
  record: ProcessRecord,
  report: (message: string) => void,
): Promise<boolean> {
  if ((await readRecord(config.infra.runDir, name))?.pid === record.pid) return true;
  report(`${name} was stopped or replaced by another command; no longer supervised here`);
  return false;
}

async function answers(
  service: ManagedProcess,
  config: Config,
  report: (message: string) => void,
): Promise<boolean> {
  try {
    await service.probe(config, 2_000);
  } catch {
    return false; // Not ready yet (it may be waiting for its servers); asked again next time.
  }
  report(`${service.name}: ready again`);
  return true;
}

/** Waits `ms`; false if `signal` aborted first (or before). */
const pause = (ms: number, signal: AbortSignal): Promise<boolean> =>
  sleep(ms, undefined, { signal }).then(
    () => true,
    () => false,
  );

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
