import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
} from '@temporalio/workflow';
import {
  AbsorbSchema,
  EventsSignalSchema,
  FollowUpRequestSchema,
  MergeIntoSchema,
  type MergedResult,
} from '../shared/definitions.js';
import { workflowNow } from '../shared/time.js';
import type { EngagementActivities, ToSurvivor } from './activities.js';
import type { Action, Engagement } from './engine.js';
import type { startShell } from './shell.js';

/** Merges talk to other customers' workflows through the worker's client: retried until they answer. */
const { askToMerge, sendToSurvivor } = proxyActivities<EngagementActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export interface MergingOptions {
  readonly customerId: string;
  readonly engine: Engagement;
  readonly shell: ReturnType<typeof startShell>;
  /** The shell's inboxes: what still reaches a customer merged away is forwarded from them. */
  readonly inbox: unknown[];
  readonly finished: unknown[];
  readonly requests: unknown[];
  /** `mergeInto` signals (and the input's `mergeInto`). */
  readonly merges: unknown[];
  /** `absorb` signals: hand-overs of ids merged into this one. */
  readonly absorbs: unknown[];
  /** Carries out the engine's actions (the workflow's). */
  readonly perform: (actions: readonly Action[]) => Promise<void>;
}

/**
 * Identity merges between customers' workflows (docs/workflows.md, Identity merges): hand-overs
 * absorbed, linked ids asked to merge into this one, and this one merged away into a survivor.
 */
export function startMerging({
  customerId,
  engine,
  shell,
  inbox,
  finished,
  requests,
  merges,
  absorbs,
  perform,
}: MergingOptions) {
  /** Hand-overs of ids merged into this one. */
  const absorbHandOvers = () => {
    for (const payload of absorbs.splice(0)) {
      const absorb = AbsorbSchema.safeParse(payload);
      if (!absorb.success) log.warn('hand-over refused', { issues: absorb.error.issues });
      else if (engine.absorb(absorb.data.from, absorb.data.snapshot, workflowNow())) {
        log.info('customer merged in', { from: absorb.data.from });
      } else log.info('hand-over already absorbed', { from: absorb.data.from });
    }
  };
  /** The links taken name ids to merge into `into` (this customer, or its survivor). */
  const askLinkedToMerge = async (into: string) => {
    for (const from of engine.takeAsks()) {
      const asked = await askToMerge({ from, into }).catch((error: unknown) => {
        log.error('merge not asked', { from, error });
        return null;
      });
      if (asked?.outcome === 'already_merged' && asked.mergedInto !== into) {
        log.warn('linked id already merged elsewhere', { from, mergedInto: asked.mergedInto });
      }
    }
  };
  /** The survivor this customer is asked to merge into, if any. */
  const takeSurvivor = (): string | undefined => {
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
      await sendToSurvivor(into, message);
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
    await askLinkedToMerge(into);
    await send(into, { kind: 'absorb', absorb: { from: customerId, snapshot: engine.snapshot() } });
    for (;;) {
      await condition(allHandlersFinished);
      if (!shell.woken()) return { mergedInto: into };
      finished.splice(0);
      if (takeSurvivor() !== undefined) log.info('merged already', { into });
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

  return { absorbHandOvers, askLinkedToMerge, takeSurvivor, mergeAway };
}
