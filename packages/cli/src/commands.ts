import { ENV_PREFIX, KEY_VARIABLES, type Config } from '@rapport/config';
import {
  ensureRunning,
  fetchAll,
  inspectInfrastructure,
  provideInfrastructure,
  runningProcess,
  stopInfrastructure,
  stopProcess,
  type ServiceStatus,
} from '@rapport/infra';
import { demoOnUp } from './demo.js';
import {
  appServices,
  DEV_KEYS,
  isEmbeddedDefault,
  unsetKeyClasses,
  withDevKeys,
} from './services.js';

const say = (message: string) => console.log(`rapport: ${message}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function up(
  configured: Config,
  options: { readonly detach: boolean; readonly demo?: boolean },
): Promise<number> {
  const started = performance.now();
  const config = withDevKeys(configured);
  const infra = await provideInfrastructure(config, { profile: 'dev', onProgress: say });
  const services: ServiceStatus[] = [];
  const stopAll = async () => {
    await stopServices(config);
    await infra.stop();
  };
  try {
    for (const service of appServices) {
      services.push(await ensureRunning(service, config, 'dev', say));
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  say(`ready in ${seconds(performance.now() - started)}`);
  printEndpoints(config, [...infra.services, ...services]);
  printKeys(configured);
  const demo = new AbortController();
  // With --detach the demo plays its history and returns; otherwise it runs until Ctrl-C.
  const demoRun = options.demo ? playDemo(config, demo.signal, !options.detach) : undefined;
  if (options.detach) {
    await demoRun;
    say('left running; stop with `pnpm rapport down`');
    return 0;
  }
  say('running; press Ctrl-C to stop');
  const signal = await untilSignalled();
  say(`${signal}: stopping`);
  demo.abort();
  await demoRun;
  await stopAll();
  say('stopped');
  return 0;
}

/** The demo next to the services; its failure is reported, and the services keep running. */
async function playDemo(config: Config, signal: AbortSignal, live: boolean): Promise<void> {
  try {
    await demoOnUp(config, signal, live);
  } catch (error) {
    say(`demo stopped: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM and keeps swallowing later ones until exit: a terminal's
 * Ctrl-C reaches this process both directly and relayed by tsx, and the second delivery must not
 * kill it half-way through stopping Kafka.
 */
function untilSignalled(): Promise<NodeJS.Signals> {
  // Signal listeners do not keep Node's event loop alive; this timer does, until a signal comes.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first !== undefined) return;
      clearInterval(keepAlive);
      resolve((first = signal));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function printEndpoints(config: Config, services: readonly ServiceStatus[]): void {
  const rows = services.flatMap((service) => {
    const row = [
      service.label,
      service.endpoint,
      `${service.mode}${service.action === 'reused' ? ', reused' : ''}`,
    ];
    if (service.name !== 'temporal' || service.mode === 'given') return [row];
    const ui = `http://127.0.0.1:${config.infra.temporal.uiPort}`;
    return [row, ['Temporal Web UI', ui, service.mode]];
  });
  printTable(['service', 'endpoint', 'run by'], rows);
}

/** Services first, in reverse start order, so none loses its servers while still working. */
async function stopServices(config: Config): Promise<string[]> {
  const stopped: string[] = [];
  for (const service of [...appServices].reverse()) {
    if (await stopProcess(config.infra.runDir, service.name)) stopped.push(service.name);
  }
  return stopped;
}

function printKeys(configured: Config): void {
  if (!isEmbeddedDefault(configured)) return;
  for (const keyClass of unsetKeyClasses(configured)) {
    const variable = ENV_PREFIX + KEY_VARIABLES[keyClass];
    say(`dev ${keyClass} key: ${DEV_KEYS[keyClass]} (set ${variable} for real ones)`);
  }
}

export async function down(config: Config): Promise<number> {
  const stopped = [...(await stopServices(config)), ...(await stopInfrastructure(config))];
  say(stopped.length === 0 ? 'nothing was running' : `stopped ${stopped.join(', ')}`);
  return 0;
}

export async function status(config: Config): Promise<number> {
  const health = [...(await inspectInfrastructure(config)), ...(await inspectServices(config))];
  printTable(
    ['service', 'endpoint', 'run by', 'health', 'detail'],
    health.map((service) => [
      service.label,
      service.endpoint,
      service.mode,
      service.healthy ? 'healthy' : 'DOWN',
      service.detail,
    ]),
  );
  return health.every((service) => service.healthy) ? 0 : 1;
}

export async function fetch(config: Config): Promise<number> {
  const started = performance.now();
  const binaries = await fetchAll(config.infra.cacheDir);
  say(`cached in ${seconds(performance.now() - started)} under ${config.infra.cacheDir}`);
  for (const [name, path] of Object.entries(binaries)) console.log(`  ${name}: ${path}`);
  return 0;
}

async function inspectServices(config: Config) {
  return Promise.all(
    appServices.map(async (service) => {
      const record = await runningProcess(config.infra.runDir, service.name);
      let healthy = false;
      let detail = record ? `pid ${record.pid}, log ${record.logFile}` : 'not started';
      if (record) {
        try {
          await service.probe(config, 2_000);
          healthy = true;
        } catch (error) {
          detail = `${error instanceof Error ? error.message : String(error)} (log ${record.logFile})`;
        }
      }
      return {
        label: service.label,
        endpoint: service.endpoint(config),
        mode: record ? 'native' : 'not running',
        healthy,
        detail,
      };
    }),
  );
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  for (const row of [header, ...rows]) {
    console.log(
      `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd(),
    );
  }
}
