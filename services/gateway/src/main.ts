import cluster from 'node:cluster';
import { runService, startProcessPool } from '@rapport/service';
import { startGateway } from './start';

// With several processes, this file runs once as the pool's primary (which forks the workers and
// hands them the connections) and once in each worker (cluster.isWorker), which is a whole
// gateway listening on the port they share.
await runService('gateway', (config, logger) =>
  cluster.isPrimary && config.gateway.processes > 1
    ? startProcessPool({ name: 'gateway', processes: config.gateway.processes, logger })
    : startGateway(config, logger),
);
