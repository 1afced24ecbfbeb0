import { runService } from '@rapport/lifecycle';
import { startBridge } from './start';

await runService('bridge', startBridge);
