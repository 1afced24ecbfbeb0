import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@rapport/config';
import { appServices, serviceEnv } from '../../packages/cli/src/service-processes.js';
import { startService, type ServiceProcess } from './service.js';

/** Every Rapport service, running; by name (`gateway`, `projector`, `api`, `worker`, `bridge`). */
export type PipelineServices = ReadonlyMap<string, ServiceProcess>;

/**
 * Starts every service `rapport up` starts, in its order, each once the one before is ready, as
 * `rapport up` does from source (`RAPPORT_SERVICES_FROM=src`): its own process, the environment
 * `rapport up` gives it (`serviceEnv`: the endpoints and keys) over `env`, and pools as the
 * configuration says (`auto`: one worker per core). Each one's output is appended to
 * `<logDir>/<name>.log`, as `rapport up` keeps it in `.rapport/run/`. A start that fails stops
 * those already started.
 */
export async function startPipeline(
  config: Config,
  env: NodeJS.ProcessEnv,
  logDir: string,
): Promise<PipelineServices> {
  mkdirSync(logDir, { recursive: true });
  const started = new Map<string, ServiceProcess>();
  try {
    for (const service of appServices) {
      const { port } = service.address(config);
      started.set(
        service.name,
        await startService(
          service.name,
          { ...env, ...serviceEnv(config) },
          port,
          join(logDir, `${service.name}.log`),
        ),
      );
    }
    return started;
  } catch (error) {
    await stopPipeline(started);
    throw error;
  }
}

/** Stops the services, the last started first (the bridge before the worker it feeds, …). */
export async function stopPipeline(services: PipelineServices): Promise<void> {
  for (const service of [...services.values()].reverse()) await service.stop();
}
