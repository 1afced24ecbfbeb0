import { runService } from '@rapport/service';
import { startGateway } from './start';

await runService('gateway', startGateway);
