import { runService, startPooled } from '@rapport/lifecycle';
import { startProjector } from './start.js';

// A pool's primary serves the workers' aggregated ops port; each worker is a whole projector.
await runService('projector', (config, logger, startup) =>
  startPooled(
    {
      name: 'projector',
      processes: config.projector.processes,
      logger,
      ops: { host: config.http.host, port: config.projector.port },
      signal: startup.signal,
    },
    () => startProjector(config, logger, { startup }),
  ),
);
