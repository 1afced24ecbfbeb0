import { runService, startPooled } from '@rapport/lifecycle';
import { startProjector } from './start.js';

// A pool's primary serves the workers' aggregated ops port; each worker is a whole projector.
await runService('projector', (config, logger) =>
  startPooled(
    {
      name: 'projector',
      processes: config.projector.processes,
      logger,
      ops: { host: config.http.host, port: config.projector.port },
    },
    () => startProjector(config, logger),
  ),
);
