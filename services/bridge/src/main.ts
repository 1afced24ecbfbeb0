import { runService } from '@rapport/lifecycle';
import { startBridge } from './start.js';

await runService('bridge', startBridge);
