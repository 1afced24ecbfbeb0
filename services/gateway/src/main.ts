import { runService, startPooled } from '@rapport/lifecycle';
import { startGateway } from './start.js';

// A pool's primary hands the connections to its workers; each is a whole gateway listening on
// the port they share.
await runService('gateway', (config, logger, startup) =>
  startPooled(
    { name: 'gateway', processes: config.gateway.processes, logger, signal: startup.signal },
    () => startGateway(config, logger, { startup }),
  ),
);
