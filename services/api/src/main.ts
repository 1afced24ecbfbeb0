import { runService } from '@rapport/lifecycle';
import { startApi } from './start.js';

await runService('api', startApi);
