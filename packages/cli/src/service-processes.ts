import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ENV_PREFIX,
  KEY_CLASSES,
  KEY_VARIABLES,
  type Config,
  type KeyClass,
} from '@rapport/config';
import { spawnDetached, type ManagedProcess } from '@rapport/infra';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Keys `rapport up` uses when none are configured and it runs the embedded default (no endpoint
 * given), printed so a new user can call the APIs. Against given servers, a deployment, keys
 * must be configured: a forgotten variable must not leave a public dev key in place.
 */
export const DEV_KEYS = {
  write: 'dev-write-key',
  read: 'dev-read-key',
  admin: 'dev-admin-key',
} as const satisfies Record<KeyClass, string>;

/**
 * The environment a service process gets: the endpoints `rapport up` resolved (started or given)
 * and the API keys, so every service talks to the same servers as the command that started it.
 */
export function serviceEnv(config: Config): Record<string, string> {
  return {
    RAPPORT_KAFKA_BROKERS: config.kafka.brokers.join(','),
    RAPPORT_TEMPORAL_ADDRESS: config.temporal.address,
    RAPPORT_REDIS_URL: config.redis.url,
    ...Object.fromEntries(
      KEY_CLASSES.map((keyClass) => [
        ENV_PREFIX + KEY_VARIABLES[keyClass],
        config.auth[keyClass].join(','),
      ]),
    ),
  };
}

/** Whether `rapport up` runs every server itself: the only case where dev keys are used. */
export const isEmbeddedDefault = (config: Config): boolean =>
  !config.infra.kafka.given && !config.infra.temporal.given && !config.infra.redis.given;

/** The key classes nobody configured. */
export const unsetKeyClasses = (config: Config): KeyClass[] =>
  KEY_CLASSES.filter((keyClass) => config.auth[keyClass].length === 0);

/**
 * The config with dev keys filled in where none are set, on the embedded default only; against
 * given servers an unset write or read key stops `rapport up` with the variable to set.
 */
export function withDevKeys(config: Config): Config {
  const unset = unsetKeyClasses(config);
  if (!isEmbeddedDefault(config)) {
    const required = unset.filter((keyClass) => keyClass !== 'admin');
    if (required.length > 0) {
      throw new Error(
        `set ${required.map((keyClass) => ENV_PREFIX + KEY_VARIABLES[keyClass]).join(' and ')}: ` +
          'dev keys are only used when `rapport up` runs its embedded servers',
      );
    }
    return config;
  }
  const auth = { ...config.auth };
  for (const keyClass of unset) auth[keyClass] = [DEV_KEYS[keyClass]];
  return { ...config, auth };
}

/**
 * The query API's Node flags: its old generation starts at 128 MB. Its live heap is small, and
 * V8, sizing the old generation to it, ran mark-compacts so often under load that their pauses
 * were the whole of the p99 tail (docs/read-side.md §9).
 */
export const API_NODE_FLAGS = ['--initial-old-space-size=128'] as const;

/**
 * `rapport up` runs every service, and often the servers, on one machine's cores. V8's parallel
 * and concurrent garbage collection hands work to helper threads and waits for them; when every
 * core is busy they wait for a core, and a scavenge of a few milliseconds took tens or hundreds
 * (docs/performance.md, the pipeline). And the worker, whose heap holds every cached workflow,
 * marked it on every core at once: each of its mark-compacts took the other services' cores for
 * a second, and their answers waited. Each service collects on its own thread instead, so that a
 * collection takes at most the core its service runs on. A worker on a machine of its own does
 * better without the flag.
 */
const SHARED_CORES_GC = '--single-threaded-gc';

/**
 * The gateway's Node flags: a larger young generation. A batch's objects (its parsed events,
 * their records, the produce request's buffers) die with the request; in the default young
 * generation scavenges caught many of them still alive and copied them, and the gateway took a
 * tenth less of the raw producer's rate in batches (docs/performance.md, issue 26's item 2), for
 * more memory per worker only while it is busy.
 */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

/** A service's own Node flags (`services/<name>`), beside those every service gets. */
const OWN_NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  api: API_NODE_FLAGS,
  gateway: GATEWAY_NODE_FLAGS,
};

/** The Node flags `rapport up` gives a service, beyond the loader. */
export const serviceNodeFlags = (service: string): readonly string[] => [
  SHARED_CORES_GC,
  ...(OWN_NODE_FLAGS[service] ?? []),
];

/**
 * How `rapport up` runs a service (`RAPPORT_SERVICES_FROM`): its TypeScript through tsx, with the
 * `source` export condition so workspace packages resolve to their `src/` too (`src`, the
 * default: nothing to build), or its compiled JavaScript with plain Node (`dist`, after
 * `pnpm build`), as the container image runs it.
 */
export function serviceEntry(
  service: string,
  from: Config['infra']['servicesFrom'],
): { readonly entry: string; readonly args: readonly string[] } {
  const entry =
    from === 'src' ? `services/${service}/src/main.ts` : `services/${service}/dist/main.js`;
  const loader = from === 'src' ? ['--conditions=source', '--import', 'tsx'] : [];
  return { entry, args: [...loader, join(repoRoot, entry)] };
}

/** An HTTP service of this repository (`services/<name>`), run as its own process. */
function httpService(
  name: string,
  label: string,
  port: (config: Config) => number,
): ManagedProcess {
  const url = (config: Config) => `http://${config.http.host}:${port(config)}`;
  return {
    name,
    label,
    endpoint: url,
    address: (config) => ({ host: config.http.host, port: port(config) }),
    startTimeoutMs: 60_000,
    async probe(config, timeoutMs) {
      // With an admin key /readyz says which check failed, not only that one did.
      const admin = config.auth.admin[0];
      const response = await fetch(`${url(config)}/readyz`, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: admin === undefined ? {} : { authorization: `Bearer ${admin}` },
      });
      if (!response.ok)
        throw new Error(`/readyz answered ${response.status}: ${await response.text()}`);
    },
    launch(config) {
      const { entry, args } = serviceEntry(name, config.infra.servicesFrom);
      if (!existsSync(join(repoRoot, entry))) {
        throw new Error(
          `${entry} is missing: RAPPORT_SERVICES_FROM=dist runs the compiled services; \`pnpm build\` makes them`,
        );
      }
      return spawnDetached({
        name,
        command: process.execPath,
        args: [...serviceNodeFlags(name), ...args],
        runDir: config.infra.runDir,
        marker: entry,
        endpoint: url(config),
        env: serviceEnv(config),
      });
    },
  };
}

/** Rapport's services in start order; `rapport up` starts each once the previous is ready. */
export const appServices: readonly ManagedProcess[] = [
  httpService('gateway', 'Gateway', (config) => config.http.gatewayPort),
  httpService('projector', 'Projector', (config) => config.projector.port),
  httpService('api', 'Query API', (config) => config.http.apiPort),
  // No HTTP API: their ops listeners (/healthz, /readyz, /metrics) are what `up` probes.
  httpService('worker', 'Temporal worker', (config) => config.worker.port),
  httpService('bridge', 'Bridge', (config) => config.bridge.port),
];
