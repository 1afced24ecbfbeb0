import { runService } from '@rapport/lifecycle';
import { startBridge } from './start.js';

await runService('bridge', (config, logger, startup) => startBridge(config, logger, { startup }));
