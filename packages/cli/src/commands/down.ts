import type { Config } from '@rapport/config';
import { stopInfrastructure, stopProcess } from '@rapport/infra';
import { defineCommand } from '../command.js';
import { say } from '../output.js';
import { appServices } from '../service-processes.js';

/** Services first, in reverse start order, so none loses its servers while still working. */
export async function stopServices(config: Config): Promise<string[]> {
  const stopped: string[] = [];
  for (const service of [...appServices].reverse()) {
    if (await stopProcess(config.infra.runDir, service.name)) stopped.push(service.name);
  }
  return stopped;
}

export const downCommand = defineCommand({
  name: 'down',
  synopsis: 'down',
  summary: 'Stop everything `rapport up` started (also after --detach or a crash).',
  usage: `Usage: rapport down

Stops everything \`rapport up\` started: the services, then the infrastructure it runs (also
after --detach or a crash).`,
  flags: {},
  async run({ config }) {
    const stopped = [...(await stopServices(config)), ...(await stopInfrastructure(config))];
    say(stopped.length === 0 ? 'nothing was running' : `stopped ${stopped.join(', ')}`);
    return 0;
  },
});
