import { withoutExchanges } from '@rapport/model';
import { log, patched, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import {
  absorbSignal,
  CustomerEngagementInputSchema,
  eventsSignal,
  followUpFinishedSignal,
  followUpRequestSignal,
  followUpsQuery,
  mergeIntoSignal,
  stateQuery,
  type CustomerEngagementInput,
  type MergedResult,
} from '../shared/definitions.js';
import { EngagementSettingsSchema } from '../shared/settings.js';
import { workflowNow } from '../shared/time.js';
import type { EngagementActivities } from './activities.js';
import { Engagement, type Action } from './engine.js';
import { LegacyEngagement } from './legacy-engine.js';
import { runLegacy } from './legacy-run.js';
import { startMerging } from './merging.js';
import { startShell } from './shell.js';

const { loadSettings } = proxyLocalActivities<EngagementActivities>({
  startToCloseTimeout: '10s',
});

/** The change that made purchases, renewals, paid invoices and deliveries exchanges. */
const EXCHANGES_PATCH = 'purchases-are-exchanges';
/** The change that judged each customer with a rhythm against it (the overdue trigger). */
const RHYTHM_PATCH = 'customer-rhythm';

/** The change that decided verdicts, drops and follow-ups in event time (engine.ts). */
const EVENT_TIME_PATCH = 'event-time-verdicts';
/** The change that kept the durable timer across signals (shell.ts, KeptTimer). */
const KEPT_TIMER_PATCH = 'kept-timer';
/** The change that continued as new only with the outbox published (shell.ts, handedOver). */
const HAND_OVER_PUBLISHED_PATCH = 'hand-over-published';

/**
 * One customer's engagement, for as long as the customer exists (id `customer:<customerId>`,
 * started by the bridge with signalWithStart). It takes the events the bridge signals, exactly
 * once each, and lets the engine settle them in the order they happened; sleeps until the next
 * instant that matters (an event settling, a response deadline, a predicted drop) on one durable
 * timer, kept while that instant stays the next; starts and tells follow-ups; and continues as
 * new when the server suggests it, handing over its state and its timers as absolute instants.
 */
export async function customerEngagement(input: CustomerEngagementInput): Promise<MergedResult> {
  // Registered before anything awaits, so a signal that started the workflow is buffered here.
  const inbox: unknown[] = [];
  const finished: unknown[] = [];
  const requests: unknown[] = [];
  const merges: unknown[] = [];
  const absorbs: unknown[] = [];
  setHandler(eventsSignal, (payload) => void inbox.push(payload));
  setHandler(followUpFinishedSignal, (payload) => void finished.push(payload));
  setHandler(followUpRequestSignal, (payload) => void requests.push(payload));
  setHandler(mergeIntoSignal, (payload) => void merges.push(payload));
  setHandler(absorbSignal, (payload) => void absorbs.push(payload));

  const parsed = CustomerEngagementInputSchema.parse(input);
  const { customerId, settings: pinned, snapshot } = parsed;
  if (parsed.mergeInto !== undefined) merges.push({ into: parsed.mergeInto });
  // A run that began before a change to the model goes on reading as it did, so its replay arms
  // the timers it armed; the next run (continue-as-new) has the change. Asked before the first
  // await: a replay knows a patch only from the task it is replaying, and the settings' local
  // activity can end in a later task than the one that began the run (a task that timed out, a
  // worker with no cache), which left a patch asked after it answered "no" on replay.
  const exchanges = patched(EXCHANGES_PATCH);
  const rhythms = patched(RHYTHM_PATCH);
  const eventTime = patched(EVENT_TIME_PATCH);
  // Asked only by runs of the event-time engine: the legacy loop is frozen, commands and all.
  const keepTimer = eventTime && patched(KEPT_TIMER_PATCH);
  const handOverPublished = eventTime && patched(HAND_OVER_PUBLISHED_PATCH);
  const loaded = pinned ?? EngagementSettingsSchema.parse(await loadSettings());
  const settings = {
    ...loaded,
    model: {
      ...loaded.model,
      catalog: exchanges ? loaded.model.catalog : withoutExchanges(loaded.model.catalog),
      rhythm: { ...loaded.model.rhythm, enabled: rhythms && loaded.model.rhythm.enabled },
    },
  };
  const around = { customerId, pinned, settings, inbox, finished, requests };
  // A run of the legacy engine takes no merges (docs/workflows.md, Identity merges): its
  // `mergeInto` and `absorb` signals wait unanswered in `merges` and `absorbs`.
  if (!eventTime) {
    const legacy = new LegacyEngagement(settings, customerId, snapshot);
    setHandler(stateQuery, () => legacy.view(workflowNow()));
    setHandler(followUpsQuery, () => legacy.followUps());
    return runLegacy(legacy, startShell({ ...around, engine: legacy }));
  }
  const engine = new Engagement(settings, customerId, snapshot);
  setHandler(stateQuery, () => engine.view(workflowNow()));
  setHandler(followUpsQuery, () => engine.followUps());
  const shell = startShell({
    ...around,
    merges,
    absorbs,
    engine,
    keepTimer,
    handOverPublished,
  });

  const perform = async (actions: readonly Action[]) => {
    for (const action of actions) {
      if (action.kind === 'start') {
        log.info('follow-up starts', { followUpId: action.followUp.id });
        await shell.startFollowUp(action.followUp, action.playbook, action.facts);
      } else if (action.kind === 'reengaged') {
        await shell.reengaged(action.followUpId, action.eventId, action.at);
      } else {
        await shell.cancel(action.followUpId);
      }
    }
  };

  const merging = startMerging({ ...around, merges, absorbs, engine, shell, perform });

  for (;;) {
    merging.absorbHandOvers();
    await shell.takeSignals(
      (deliveries, forwardedBy) =>
        engine.receive(deliveries, workflowNow(), { forwarded: forwardedBy !== undefined }),
      (request) => perform(engine.requestFollowUp(request, workflowNow())),
    );
    const survivor = merging.takeSurvivor();
    if (survivor !== undefined) return merging.mergeAway(survivor);
    await merging.askLinkedToMerge(customerId);
    await perform(engine.advance(workflowNow()));
    if (await shell.handedOver()) continue;
    await shell.sleepUntil(engine.nextCheck(workflowNow()), { handOver: true });
  }
}
