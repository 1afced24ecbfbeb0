import { runService } from '@rapport/service';
import { startProjector } from './start';

await runService('projector', startProjector);
