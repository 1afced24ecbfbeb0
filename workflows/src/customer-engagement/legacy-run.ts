import { log } from '@temporalio/workflow';
import { workflowNow } from '../shared/time.js';
import type { Detection, IngestEffects, LegacyEngagement } from './legacy-engine.js';
import type { startShell } from './shell.js';

/**
 * FROZEN: the loop of runs that began before verdicts were decided in event time, with the
 * engine they began with (legacy-engine.ts): their replays must issue the commands they issued.
 * It goes with `patched('event-time-verdicts')`'s deprecation (docs/workflows.md, Versioning).
 */
export async function runLegacy(
  engine: LegacyEngagement,
  shell: ReturnType<typeof startShell>,
): Promise<never> {
  const handle = async (detections: readonly Detection[]) => {
    for (const detection of detections) {
      const admission = engine.admit(detection, workflowNow());
      log.info('drop detected', { ...detection, decision: admission.decision });
      if (admission.decision === 'started') {
        await shell.startFollowUp(admission.followUp, admission.playbook);
      }
    }
  };
  const act = async (effects: IngestEffects) => {
    if (effects.reengaged !== undefined) {
      const { followUpId, eventId, at } = effects.reengaged;
      await shell.reengaged(followUpId, eventId, at);
    }
    if (effects.cancel !== undefined) await shell.cancel(effects.cancel);
    await handle(effects.detections);
  };
  for (;;) {
    await shell.takeSignals((deliveries) => act(engine.ingest(deliveries, workflowNow())));
    await handle(engine.due(workflowNow()));
    if (await shell.handedOver()) continue;
    await shell.sleepUntil(engine.nextCheck(workflowNow()));
  }
}
