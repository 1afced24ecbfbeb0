import type { Config } from '@rapport/config';
import {
  fetchAll,
  inspectInfrastructure,
  provideInfrastructure,
  stopInfrastructure,
  type ServiceStatus,
} from '@rapport/infra';

const say = (message: string) => console.log(`rapport: ${message}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function up(config: Config, options: { readonly detach: boolean }): Promise<number> {
  const started = performance.now();
  const infra = await provideInfrastructure(config, { profile: 'dev', onProgress: say });
  say(`ready in ${seconds(performance.now() - started)}`);
  printEndpoints(config, infra.services);
  if (options.detach) {
    say('left running; stop with `pnpm rapport down`');
    return 0;
  }
  say('running; press Ctrl-C to stop');
  const signal = await untilSignalled();
  say(`${signal}: stopping`);
  await infra.stop();
  say('stopped');
  return 0;
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
  const rows = services.map((service) => [
    service.label,
    service.endpoint,
    `${service.mode}${service.action === 'reused' ? ', reused' : ''}`,
  ]);
  const temporal = services.find((service) => service.name === 'temporal');
  if (temporal && temporal.mode !== 'given') {
    rows.push([
      'Temporal Web UI',
      `http://127.0.0.1:${config.infra.temporal.uiPort}`,
      temporal.mode,
    ]);
  }
  printTable(['service', 'endpoint', 'run by'], rows);
}

export async function down(config: Config): Promise<number> {
  const stopped = await stopInfrastructure(config);
  say(stopped.length === 0 ? 'nothing was running' : `stopped ${stopped.join(', ')}`);
  return 0;
}

export async function status(config: Config): Promise<number> {
  const health = await inspectInfrastructure(config);
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
