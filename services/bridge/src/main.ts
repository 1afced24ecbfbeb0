import { runService } from '@rapport/service';
import { startBridge } from './start';

await runService('bridge', startBridge);
