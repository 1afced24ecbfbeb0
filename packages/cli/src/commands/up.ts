import { ENV_PREFIX, KEY_VARIABLES, type Config } from '@rapport/config';
import { provideInfrastructure, type ServiceStatus } from '@rapport/infra';
import { defineCommand } from '../command.js';
import { firstSignal } from '../interrupt.js';
import { say, seconds, table } from '../output.js';
import {
  appServices,
  DEV_KEYS,
  isEmbeddedDefault,
  unsetKeyClasses,
  withDevKeys,
} from '../service-processes.js';
import { startServices, type RunningServices } from '../supervisor.js';
import { demoOnUp } from './demo.js';

export const upCommand = defineCommand({
  name: 'up',
  synopsis: 'up [--detach] [--demo]',
  summary: `Start Kafka, Temporal and Redis (embedded by default) and the services,
restarting a service that exits; Ctrl-C stops what it started. --detach
leaves them running. --demo feeds them a simulated population once they
are ready (see demo).`,
  usage: `Usage: rapport up [--detach] [--demo]

Starts Kafka, Temporal and Redis (embedded by default) and the services, each once the previous
is ready; one already running (left by \`up --detach\`, or answering on its port) is used as it
is. Until Ctrl-C, a service it started that exits is started again after a pause (1 s, doubling
to 30 s) and reported, its log (.rapport/run/<name>.log) appended to. Ctrl-C, or a failed start,
stops what it started and only that.

  --detach   leave them running; \`rapport down\` stops them
  --demo     feed them a simulated population once they are ready: 90 days of history played
             in 40 s, so the dashboard shows customers at risk within a minute, then the
             present (see \`rapport demo --help\`)`,
  flags: {
    detach: { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false },
  },
  async run({ config: configured, flags }) {
    const started = performance.now();
    const config = withDevKeys(configured);
    const infra = await provideInfrastructure(config, { profile: 'dev', onProgress: say });
    let services: RunningServices;
    try {
      services = await startServices(config, appServices, say);
    } catch (error) {
      // What was running before this command keeps running: it stops only what it started.
      await infra.stop();
      throw error;
    }
    say(`ready in ${seconds(performance.now() - started)}`);
    printEndpoints(config, [...infra.services, ...services.statuses]);
    printKeys(configured);
    const demo = new AbortController();
    // With --detach the demo plays its history and returns; otherwise it runs until Ctrl-C.
    const demoRun = flags.demo ? playDemo(config, demo.signal, !flags.detach) : undefined;
    if (flags.detach) {
      await demoRun;
      say('left running; stop with `pnpm rapport down`');
      return 0;
    }
    services.supervise();
    say('running; a service that exits is started again; press Ctrl-C to stop');
    const signal = await firstSignal();
    say(`${signal}: stopping`);
    demo.abort();
    await demoRun;
    await services.stop();
    await infra.stop();
    const kept = [...infra.services, ...services.statuses].filter(
      (service) => service.action === 'reused',
    );
    if (kept.length > 0) {
      say(
        `left running what this command did not start: ${kept.map((service) => service.name).join(', ')}; \`pnpm rapport down\` stops them`,
      );
    }
    say('stopped');
    return 0;
  },
});

/** The demo next to the services; its failure is reported, and the services keep running. */
async function playDemo(config: Config, signal: AbortSignal, live: boolean): Promise<void> {
  try {
    await demoOnUp(config, signal, live);
  } catch (error) {
    say(`demo stopped: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function printEndpoints(config: Config, services: readonly ServiceStatus[]): void {
  const rows = services.flatMap((service) => {
    const row = [
      service.label,
      service.endpoint,
      `${service.mode}${service.action === 'reused' ? ', reused' : ''}`,
    ];
    if (service.name === 'api') return [row, ['Dashboard', dashboardUrl(service), service.mode]];
    if (service.name !== 'temporal' || service.mode === 'given') return [row];
    const ui = `http://127.0.0.1:${config.infra.temporal.uiPort}`;
    return [row, ['Temporal Web UI', ui, service.mode]];
  });
  console.log(table(['service', 'endpoint', 'run by'], rows));
}

/** The query API serves the dashboard (services/api, packages/dashboard). */
const dashboardUrl = (api: ServiceStatus) => `${api.endpoint}/dashboard/`;

function printKeys(configured: Config): void {
  if (!isEmbeddedDefault(configured)) return;
  for (const keyClass of unsetKeyClasses(configured)) {
    const variable = ENV_PREFIX + KEY_VARIABLES[keyClass];
    say(`dev ${keyClass} key: ${DEV_KEYS[keyClass]} (set ${variable} for real ones)`);
  }
}
