import { runService } from '@rapport/service';
import { startApi } from './start';

await runService('api', startApi);
