import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '@rapport/config';
import { spawnDetached, type ManagedProcess } from '@rapport/infra';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Keys `rapport up` uses when none are configured, printed so a new user can call the APIs. */
export const DEV_KEYS = { write: 'dev-write-key', read: 'dev-read-key' } as const;

/**
 * The environment a service process gets: the endpoints `rapport up` resolved (started or given)
 * and the API keys, so every service talks to the same servers as the command that started it.
 */
export function serviceEnv(config: Config): Record<string, string> {
  return {
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
    RAPPORT_REDIS_URL: config.redis.url,
    RAPPORT_WRITE_KEYS: config.auth.writeKeys.join(','),
    RAPPORT_READ_KEYS: config.auth.readKeys.join(','),
  };
}

/** The config with dev keys filled in where none are set (only for `rapport up`). */
export function withDevKeys(config: Config): Config {
  return {
    ...config,
    auth: {
      writeKeys: config.auth.writeKeys.length > 0 ? config.auth.writeKeys : [DEV_KEYS.write],
      readKeys: config.auth.readKeys.length > 0 ? config.auth.readKeys : [DEV_KEYS.read],
    },
  };
}

/**
 * The query API's Node flags: its old generation starts at 128 MB. Its live heap is about 19 MB,
 * and V8, sizing the old generation to it, ran a mark-compact every ~3 s at 2,000 requests/s
 * (HTTP's short-lived garbage is promoted at 2–3 MB/s); each one stalled 14–39 requests for up to
 * 19 ms, which was the whole of the p99 tail (median 5.2 ms over six runs; 2.9–3.8 with this).
 */
export const API_NODE_FLAGS = ['--initial-old-space-size=128'] as const;

/** An HTTP service of this repository, run as its own process with `tsx`. */
function httpService(
  name: string,
  label: string,
  entry: string,
  port: (config: Config) => number,
  nodeFlags: readonly string[] = [],
): ManagedProcess {
  const url = (config: Config) => `http://${config.http.host}:${port(config)}`;
  return {
    name,
    label,
    endpoint: url,
    address: (config) => ({ host: config.http.host, port: port(config) }),
    startTimeoutMs: 60_000,
    async probe(config, timeoutMs) {
      const response = await fetch(`${url(config)}/readyz`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok)
        throw new Error(`/readyz answered ${response.status}: ${await response.text()}`);
    },
    launch: (config) =>
      spawnDetached({
        name,
        command: process.execPath,
        args: [...nodeFlags, '--import', 'tsx', join(repoRoot, entry)],
        runDir: config.infra.runDir,
        marker: entry,
        endpoint: url(config),
        env: serviceEnv(config),
      }),
  };
}

/** Rapport's services in start order; `rapport up` starts each once the previous is ready. */
export const appServices: readonly ManagedProcess[] = [
  httpService(
    'gateway',
    'Gateway',
    'services/gateway/src/main.ts',
    (config) => config.http.gatewayPort,
  ),
  httpService(
    'projector',
    'Projector',
    'services/projector/src/main.ts',
    (config) => config.projector.port,
  ),
  httpService(
    'api',
    'Query API',
    'services/api/src/main.ts',
    (config) => config.http.apiPort,
    API_NODE_FLAGS,
  ),
  // No HTTP API: their ops listeners (/healthz, /readyz, /metrics) are what `up` probes.
  httpService(
    'worker',
    'Temporal worker',
    'workflows/src/worker/main.ts',
    (config) => config.worker.port,
  ),
  httpService('bridge', 'Bridge', 'services/bridge/src/main.ts', (config) => config.bridge.port),
];
