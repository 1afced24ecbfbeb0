import { runService } from '@rapport/lifecycle';
import { startApi } from './start.js';

await runService('api', (config, logger, startup) => startApi(config, logger, { startup }));
