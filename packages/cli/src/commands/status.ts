import type { Config } from '@rapport/config';
import { inspectInfrastructure, runningProcess } from '@rapport/infra';
import { defineCommand } from '../command.js';
import { table } from '../output.js';
import { appServices } from '../service-processes.js';

export const statusCommand = defineCommand({
  name: 'status',
  synopsis: 'status',
  summary: "Show each service's endpoint, who runs it, and whether it answers.",
  usage: `Usage: rapport status

Shows each server and service: its endpoint, who runs it, and whether it answers.

Exit code: 0 when all are healthy, 1 otherwise.`,
  flags: {},
  async run({ config }) {
    const health = [...(await inspectInfrastructure(config)), ...(await inspectServices(config))];
    console.log(
      table(
        ['service', 'endpoint', 'run by', 'health', 'detail'],
        health.map((service) => [
          service.label,
          service.endpoint,
          service.mode,
          service.healthy ? 'healthy' : 'DOWN',
          service.detail,
        ]),
      ),
    );
    return health.every((service) => service.healthy) ? 0 : 1;
  },
});

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
