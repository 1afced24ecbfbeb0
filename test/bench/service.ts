import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceEntry, serviceNodeFlags } from '../../packages/cli/src/service-processes.js';
import { FROM_SOURCE } from '../harness/processes.js';
import { MetricsReading } from './metrics.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const READY_WITHIN_MS = 90_000;

/** Every benchmarked service gets it: the gateway's and the API's /metrics need an admin key. */
export const ADMIN_KEY = 'bench-admin-key';
const admin = { headers: { authorization: `Bearer ${ADMIN_KEY}` } };

/** A Rapport service in its own process, as in production, answering on 127.0.0.1:`port`. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** One read of the service's /metrics, as an admin asks for it. */
  metrics(): Promise<MetricsReading>;
  /** SIGTERM, then waits for the graceful shutdown to finish. */
  stop(): Promise<void>;
}

/**
 * Starts the Rapport service `service` (`gateway`, `api`, …) from source as `rapport up` starts
 * it, its Node flags included, with `env`, and waits for its /readyz.
 * BENCH_PROFILE_DIR=<dir> writes a V8 CPU profile of every service started to that folder;
 * BENCH_NODE_FLAGS="<flags>" adds those Node/V8 flags (garbage-collector trials).
 * Its output goes to this process's, or appended to `logFile` (a service that logs under load
 * would bury the benchmark's tables).
 */
export function startService(
  service: string,
  env: NodeJS.ProcessEnv,
  port: number,
  logFile?: string,
): Promise<ServiceProcess> {
  return startProcess(serviceEntry(service, 'src').entry, service, env, port, logFile);
}

/**
 * Starts the TypeScript `entry` (from the repository root) through tsx with the Node flags
 * `rapport up` gives `service`, and waits for its /readyz, as `startService` does: a benchmark's
 * own server runs as a Rapport service would.
 */
export async function startProcess(
  entry: string,
  service: string,
  env: NodeJS.ProcessEnv,
  port: number,
  logFile?: string,
): Promise<ServiceProcess> {
  const profileDir = process.env['BENCH_PROFILE_DIR'];
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const flags = process.env['BENCH_NODE_FLAGS']?.split(' ').filter(Boolean) ?? [];
  const output = logFile === undefined ? 'inherit' : openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [...profile, ...serviceNodeFlags(service), ...flags, ...FROM_SOURCE, join(repoRoot, entry)],
    {
      cwd: repoRoot,
      env: { RAPPORT_ADMIN_KEYS: ADMIN_KEY, ...env },
      stdio: ['ignore', output, output],
    },
  );
  // The child holds its own copy of the log's descriptor.
  if (typeof output === 'number') closeSync(output);
  const url = `http://127.0.0.1:${port}`;
  const started: ServiceProcess = {
    child,
    url,
    metrics: async () => new MetricsReading(await (await fetch(`${url}/metrics`, admin)).text()),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
  for (const deadline = Date.now() + READY_WITHIN_MS; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} did not become ready within ${READY_WITHIN_MS / 1000} s`);
}

/** The query API in its own process as `rapport up` starts it, reading one key prefix. */
export function startApiProcess(options: {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly readKey: string;
  readonly port: number;
}): Promise<ServiceProcess> {
  return startService(
    'api',
    {
      ...process.env,
      RAPPORT_REDIS_URL: options.redisUrl,
      RAPPORT_REDIS_KEY_PREFIX: options.keyPrefix,
      RAPPORT_READ_KEYS: options.readKey,
      RAPPORT_API_PORT: String(options.port),
      RAPPORT_LOG_LEVEL: 'warn',
    },
    options.port,
  );
}
