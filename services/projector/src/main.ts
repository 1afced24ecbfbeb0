import cluster from 'node:cluster';
import { runService, startProcessPool } from '@rapport/service';
import { startProjector } from './start';

// With several processes, this file runs once as the pool's primary (which forks the workers and
// serves their ops port) and once in each worker (cluster.isWorker), which is a whole projector.
await runService('projector', (config, logger) =>
  cluster.isPrimary && config.projector.processes > 1
    ? startProcessPool({
        name: 'projector',
        processes: config.projector.processes,
        logger,
        ops: { host: config.http.host, port: config.projector.port },
      })
    : startProjector(config, logger),
);
