import { withoutExchanges } from '@rapport/model';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { followUp } from '../follow-up/workflow.js';
import {
  CustomerEngagementInputSchema,
  EventsSignalSchema,
  eventsSignal,
  FollowUpFinishedSchema,
  followUpFinishedSignal,
  followUpsQuery,
  reengagedSignal,
  stateQuery,
  type CustomerEngagementInput,
  type FollowUpRecord,
} from '../shared/definitions.js';
import { EngagementSettingsSchema, type Playbook } from '../shared/settings.js';
import { workflowNow } from '../shared/time.js';
import type { EngagementActivities } from './activities.js';
import { Engagement, type Detection, type IngestEffects } from './engine.js';

const { publishDerived } = proxyActivities<EngagementActivities>({
  startToCloseTimeout: '30s',
  // Kafka down means wait for it: retried until it answers, never given up (nothing is lost).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});
const { loadSettings } = proxyLocalActivities<EngagementActivities>({
  startToCloseTimeout: '10s',
});

/** The change that made purchases, renewals, paid invoices and deliveries exchanges. */
const EXCHANGES_PATCH = 'purchases-are-exchanges';
/** The change that judged each customer with a rhythm against it (the overdue trigger). */
const RHYTHM_PATCH = 'customer-rhythm';

/** Derived events per publish: one Kafka round trip each. */
const OUTBOX_BATCH = 100;

/**
 * One customer's engagement, for as long as the customer exists (id `customer:<customerId>`,
 * started by the bridge with signalWithStart). It folds the events the bridge signals, exactly
 * once each; sleeps until the next instant that matters (a predicted drop, a response deadline)
 * on a durable timer that every new event re-arms; records drops and starts follow-ups; and
 * continues as new when the server suggests it, handing over its state and its timers as
 * absolute instants.
 */
export async function customerEngagement(input: CustomerEngagementInput): Promise<never> {
  // Registered before anything awaits, so a signal that started the workflow is buffered here.
  const inbox: unknown[] = [];
  const finished: unknown[] = [];
  setHandler(eventsSignal, (payload) => void inbox.push(payload));
  setHandler(followUpFinishedSignal, (payload) => void finished.push(payload));

  const { customerId, settings: pinned, snapshot } = CustomerEngagementInputSchema.parse(input);
  const loaded = pinned ?? EngagementSettingsSchema.parse(await loadSettings());
  // A run that began before a change to the model goes on reading as it did, so its replay arms
  // the timers it armed; the next run (continue-as-new) has the change.
  const exchanges = patched(EXCHANGES_PATCH);
  const rhythms = patched(RHYTHM_PATCH);
  const settings = {
    ...loaded,
    model: {
      ...loaded.model,
      catalog: exchanges ? loaded.model.catalog : withoutExchanges(loaded.model.catalog),
      rhythm: { ...loaded.model.rhythm, enabled: rhythms && loaded.model.rhythm.enabled },
    },
  };
  const engine = new Engagement(settings, customerId, snapshot);
  setHandler(stateQuery, () => engine.view(workflowNow()));
  setHandler(followUpsQuery, () => engine.followUps());

  let publishing = false;
  const drainOutbox = async (): Promise<never> => {
    for (;;) {
      await condition(() => engine.unpublishedCount > 0);
      const batch = engine.unpublished(OUTBOX_BATCH);
      publishing = true;
      try {
        await publishDerived(batch);
      } catch (error) {
        // Only a non-retryable failure gets here (the schema refused an event): a bug, logged
        // with the events, and dropped so that it does not block the rest.
        log.error('derived events refused for good', { error, events: batch });
      } finally {
        publishing = false;
      }
      engine.published(batch.length);
    }
  };
  void drainOutbox();

  const act = async (effects: IngestEffects) => {
    if (effects.reengaged !== undefined) {
      const { followUpId, eventId, at } = effects.reengaged;
      await getExternalWorkflowHandle(followUpId)
        .signal(reengagedSignal, { eventId, at })
        .catch((error: unknown) => log.info('follow-up gone before re-engagement', { error }));
    }
    if (effects.cancel !== undefined) {
      await getExternalWorkflowHandle(effects.cancel)
        .cancel()
        .catch((error: unknown) => log.info('follow-up gone before cancellation', { error }));
    }
    await handle(effects.detections);
  };

  const handle = async (detections: readonly Detection[]) => {
    for (const detection of detections) {
      const admission = engine.admit(detection, workflowNow());
      log.info('drop detected', { ...detection, decision: admission.decision });
      if (admission.decision === 'started') await start(admission.followUp, admission.playbook);
    }
  };

  const start = async (record: FollowUpRecord, playbook: Playbook) => {
    try {
      const child = await startChild(followUp, {
        workflowId: record.id,
        args: [
          {
            followUpId: record.id,
            customerId,
            parentWorkflowId: workflowInfo().workflowId,
            trigger: record.trigger,
            stage: record.stage,
            dropAt: record.dropAt,
            playbook,
          },
        ],
        // The follow-up outlives this run: the customer workflow continues as new under it.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
      // Within this run the result tells; after continue-as-new the child's signal does.
      void child.result().then(
        (result) => void finished.push({ followUpId: record.id, ...result }),
        (error: unknown) => {
          log.error('follow-up failed', { followUpId: record.id, error });
          finished.push({ followUpId: record.id, outcome: 'cancelled', at: workflowNow() });
        },
      );
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      log.error('follow-up did not start', { followUpId: record.id, error });
      engine.followUpFinished({ followUpId: record.id, outcome: 'cancelled', at: workflowNow() });
    }
  };

  const continueAsNewDue = () => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      (settings.historyLimit !== undefined && info.historyLength >= settings.historyLimit)
    );
  };
  const woken = () => inbox.length > 0 || finished.length > 0;

  for (;;) {
    for (const payload of finished.splice(0)) {
      const note = FollowUpFinishedSchema.safeParse(payload);
      if (note.success) engine.followUpFinished(note.data);
      else log.warn('follow-up note refused', { issues: note.error.issues });
    }
    for (const payload of inbox.splice(0)) {
      const signal = EventsSignalSchema.safeParse(payload);
      if (!signal.success) {
        engine.rejected();
        log.warn('events signal refused', { issues: signal.error.issues });
        continue;
      }
      await act(engine.ingest(signal.data.deliveries, workflowNow()));
    }
    await handle(engine.due(workflowNow()));
    if (continueAsNewDue()) {
      await condition(() => allHandlersFinished() && !publishing);
      if (!woken()) {
        await continueAsNew<typeof customerEngagement>({
          customerId,
          ...(pinned === undefined ? {} : { settings: pinned }),
          snapshot: engine.snapshot(),
        });
      }
      continue;
    }
    const next = engine.nextCheck(workflowNow());
    if (next === null) await condition(woken);
    else if (next.at > workflowNow()) await condition(woken, next.at - workflowNow());
  }
}
