import { runService } from '@rapport/lifecycle';
import { startApi } from './start';

await runService('api', startApi);
