import { withoutExchanges } from '@rapport/model';
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import {
  AbsorbSchema,
  absorbSignal,
  CustomerEngagementInputSchema,
  EventsSignalSchema,
  eventsSignal,
  followUpFinishedSignal,
  FollowUpRequestSchema,
  followUpRequestSignal,
  followUpsQuery,
  MergeIntoSchema,
  mergeIntoSignal,
  stateQuery,
  type CustomerEngagementInput,
  type MergedResult,
} from '../shared/definitions.js';
import { EngagementSettingsSchema } from '../shared/settings.js';
import { workflowNow } from '../shared/time.js';
import type { EngagementActivities, ToSurvivor } from './activities.js';
import { Engagement, type Action } from './engine.js';
import { LegacyEngagement } from './legacy-engine.js';
import { runLegacy } from './legacy-run.js';
import { startShell } from './shell.js';

const { loadSettings } = proxyLocalActivities<EngagementActivities>({
  startToCloseTimeout: '10s',
});

/** Merges talk to other customers' workflows through the worker's client: retried until they answer. */
const merging = proxyActivities<EngagementActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** The change that made purchases, renewals, paid invoices and deliveries exchanges. */
const EXCHANGES_PATCH = 'purchases-are-exchanges';
/** The change that judged each customer with a rhythm against it (the overdue trigger). */
const RHYTHM_PATCH = 'customer-rhythm';

/** The change that decided verdicts, drops and follow-ups in event time (engine.ts). */
const EVENT_TIME_PATCH = 'event-time-verdicts';

/**
 * One customer's engagement, for as long as the customer exists (id `customer:<customerId>`,
 * started by the bridge with signalWithStart). It takes the events the bridge signals, exactly
 * once each, and lets the engine settle them in the order they happened; sleeps until the next
 * instant that matters (an event settling, a response deadline, a predicted drop) on a durable
 * timer that every signal re-arms; starts and tells follow-ups; and continues as new when the
 * server suggests it, handing over its state and its timers as absolute instants.
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
  const around = { customerId, pinned, settings, inbox, finished, requests };
  // A run of the legacy engine takes no merges (docs/workflows.md, Identity merges): its
  // `mergeInto` and `absorb` signals wait unanswered in `merges` and `absorbs`.
  if (!patched(EVENT_TIME_PATCH)) {
    const legacy = new LegacyEngagement(settings, customerId, snapshot);
    setHandler(stateQuery, () => legacy.view(workflowNow()));
    setHandler(followUpsQuery, () => legacy.followUps());
    return runLegacy(legacy, startShell({ ...around, engine: legacy }));
  }
  const engine = new Engagement(settings, customerId, snapshot);
  setHandler(stateQuery, () => engine.view(workflowNow()));
  setHandler(followUpsQuery, () => engine.followUps());
  const shell = startShell({ ...around, merges, absorbs, engine });

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

  /** Hand-overs of ids merged into this one. */
  const takeAbsorbs = () => {
    for (const payload of absorbs.splice(0)) {
      const absorb = AbsorbSchema.safeParse(payload);
      if (!absorb.success) log.warn('hand-over refused', { issues: absorb.error.issues });
      else if (engine.absorb(absorb.data.from, absorb.data.snapshot, workflowNow())) {
        log.info('customer merged in', { from: absorb.data.from });
      } else log.info('hand-over already absorbed', { from: absorb.data.from });
    }
  };
  /** The links taken name ids to merge into `into` (this customer, or its survivor). */
  const askLinked = async (into: string) => {
    for (const from of engine.takeAsks()) {
      const asked = await merging.askToMerge({ from, into }).catch((error: unknown) => {
        log.error('merge not asked', { from, error });
        return null;
      });
      if (asked?.outcome === 'already_merged' && asked.mergedInto !== into) {
        log.warn('linked id already merged elsewhere', { from, mergedInto: asked.mergedInto });
      }
    }
  };
  /** The survivor this customer is asked to merge into, if any. */
  const mergeTarget = (): string | undefined => {
    let target: string | undefined;
    for (const payload of merges.splice(0)) {
      const merge = MergeIntoSchema.safeParse(payload);
      if (!merge.success) log.warn('merge refused', { issues: merge.error.issues });
      else if (merge.data.into === customerId || engine.aliases.includes(merge.data.into)) {
        log.warn('merge into itself or an id merged into it refused', merge.data);
      } else if (target === undefined) target = merge.data.into;
      else if (merge.data.into !== target) log.warn('second merge ignored', merge.data);
    }
    return target;
  };
  const send = async (into: string, message: ToSurvivor) => {
    try {
      await merging.sendToSurvivor(into, message);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.error('survivor refused for good', { into, kind: message.kind, error });
    }
  };

  /**
   * Merged into `into`: the running follow-up cancelled, the whole hand-over sent to the survivor,
   * then whatever still reaches this workflow forwarded to it, until nothing is waiting: only then
   * does it complete (a signal that comes in the completing task makes the server refuse the
   * completion; the task runs again with it, and it is forwarded).
   */
  const mergeAway = async (into: string): Promise<MergedResult> => {
    log.info('merging into', { into });
    await perform(engine.mergedAway(into, workflowNow()));
    await shell.stopPublishing();
    await askLinked(into);
    await send(into, { kind: 'absorb', absorb: { from: customerId, snapshot: engine.snapshot() } });
    for (;;) {
      await condition(allHandlersFinished);
      if (!shell.woken()) return { mergedInto: into };
      finished.splice(0);
      if (mergeTarget() !== undefined) log.info('merged already', { into });
      for (const payload of absorbs.splice(0)) {
        const absorb = AbsorbSchema.safeParse(payload);
        if (absorb.success) await send(into, { kind: 'absorb', absorb: absorb.data });
      }
      for (const payload of inbox.splice(0)) {
        const signal = EventsSignalSchema.safeParse(payload);
        if (!signal.success) continue;
        const { forwardedBy } = signal.data;
        const forwarded = forwardedBy !== undefined;
        const { filtered, unfiltered } = engine.forwardable(signal.data.deliveries, { forwarded });
        if (filtered.length > 0) {
          await send(into, { kind: 'events', deliveries: filtered, forwardedBy: customerId });
        }
        if (unfiltered.length > 0) {
          await send(into, {
            kind: 'events',
            deliveries: unfiltered,
            ...(forwarded ? { forwardedBy } : {}),
          });
        }
      }
      for (const payload of requests.splice(0)) {
        const request = FollowUpRequestSchema.safeParse(payload);
        if (request.success) await send(into, { kind: 'followUpRequest', request: request.data });
      }
    }
  };

  for (;;) {
    takeAbsorbs();
    await shell.takeSignals(
      (deliveries, forwardedBy) =>
        engine.receive(deliveries, workflowNow(), { forwarded: forwardedBy !== undefined }),
      (request) => perform(engine.requestFollowUp(request, workflowNow())),
    );
    const into = mergeTarget();
    if (into !== undefined) return mergeAway(into);
    await askLinked(customerId);
    await perform(engine.advance(workflowNow()));
    if (await shell.handedOver()) continue;
    await shell.sleepUntil(engine.nextCheck(workflowNow()), { handOver: true });
  }
}
