import type { StampedInteraction } from '@rapport/schema';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { followUp } from '../follow-up/workflow.js';
import {
  EventsSignalSchema,
  FollowUpFinishedSchema,
  FollowUpRequestSchema,
  reengagedSignal,
  type Delivery,
  type DropFacts,
  type FollowUpFinished,
  type FollowUpRequest,
  type FollowUpRecord,
  type NextCheck,
  type Snapshot,
} from '../shared/definitions.js';
import { publishDerived } from '../shared/publish.js';
import type { EngagementSettings, Playbook } from '../shared/settings.js';
import { workflowNow } from '../shared/time.js';
import type { customerEngagement } from './workflow.js';

/** Derived events per publish: one Kafka round trip each. */
const OUTBOX_BATCH = 100;

/** What the shell needs of an engine: its outbox, its follow-up notes and its hand-over. */
export interface ShellEngine {
  readonly unpublishedCount: number;
  unpublished(limit: number): StampedInteraction[];
  published(count: number): void;
  followUpFinished(note: FollowUpFinished): void;
  rejected(): void;
  snapshot(): Snapshot;
}

export interface ShellOptions {
  readonly customerId: string;
  /** Settings fixed by the input (tests), handed to the next run as they are. */
  readonly pinned: EngagementSettings | undefined;
  readonly settings: EngagementSettings;
  readonly inbox: unknown[];
  readonly finished: unknown[];
  /** Follow-ups a person asked for (`followUpRequest` signals). */
  readonly requests: unknown[];
  /** Merges: `mergeInto` and `absorb` signals (none for a run of the legacy engine). */
  readonly merges?: unknown[];
  readonly absorbs?: unknown[];
  readonly engine: ShellEngine;
  /**
   * Keeps the durable timer across wake-ups while the instant it waits for is still the next
   * (`KeptTimer`); without it (runs that began before `kept-timer`), every wake-up cancels the
   * timer and starts another, as those runs' histories record.
   */
  readonly keepTimer?: boolean;
  /**
   * Continues as new only once the outbox is published; without it (runs that began before
   * `hand-over-published`), once no publish is in flight, which could be the very task that
   * schedules the next one: the run then closed with a publish scheduled, for the next run to
   * publish again (the time-skipping test server never skips time again after that).
   */
  readonly handOverPublished?: boolean;
}

/**
 * The one durable timer, armed for an instant and kept until it fires or another instant comes
 * first. A signal wakes the loop far more often than the next instant moves (an event settles
 * the allowed lateness after the first one pending, whatever arrives meanwhile), and a timer
 * cancelled and started again on every signal cost the server two history events and a timer
 * task per signal.
 */
class KeptTimer {
  #armed: { readonly at: number; fired: boolean; readonly scope: CancellationScope } | undefined;

  /** Resolves when `at` has come or `wake` answers true. */
  async until(at: number, wake: () => boolean): Promise<void> {
    if (this.#armed?.at !== at || this.#armed.fired) this.#arm(at);
    const armed = this.#armed;
    await condition(() => wake() || armed?.fired === true);
  }

  /** Cancels the timer armed, unless it fired: no instant ahead, another first, or the run ends. */
  disarm(): void {
    if (this.#armed !== undefined && !this.#armed.fired) this.#armed.scope.cancel();
    this.#armed = undefined;
  }

  #arm(at: number): void {
    this.disarm();
    const scope = new CancellationScope();
    const armed = { at, fired: false, scope };
    this.#armed = armed;
    scope
      .run(() => sleep(at - workflowNow()))
      .then(
        () => void (armed.fired = true),
        // Cancelled: by disarm (another instant came first), or with the workflow itself, which
        // the loop's own wait reports.
        () => undefined,
      );
  }
}

/**
 * What the customer workflow does around its engine, whichever engine: the outbox published in
 * order, signals taken, follow-ups started and told, continue-as-new with the hand-over, and the
 * one durable timer until the next instant that matters.
 */
export function startShell({
  customerId,
  pinned,
  settings,
  inbox,
  finished,
  requests,
  merges = [],
  absorbs = [],
  engine,
  keepTimer = false,
  handOverPublished = false,
}: ShellOptions) {
  const timer = keepTimer ? new KeptTimer() : undefined;
  let publishing = false;
  /** Set when the customer is merged away: its outbox goes to the survivor with its hand-over. */
  let stopped = false;
  const drainOutbox = async (): Promise<void> => {
    for (;;) {
      await condition(() => stopped || engine.unpublishedCount > 0);
      if (stopped) return;
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
  const woken = () =>
    inbox.length > 0 ||
    finished.length > 0 ||
    requests.length > 0 ||
    merges.length > 0 ||
    absorbs.length > 0;
  const handOverDue = () => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      (settings.historyLimit !== undefined && info.historyLength >= settings.historyLimit)
    );
  };

  return {
    /** A signal is waiting. */
    woken,

    /**
     * Publishes nothing more (the customer is merged away: what is unpublished goes with the
     * hand-over) once the publish in flight, if any, is done; and sleeps no more.
     */
    async stopPublishing(): Promise<void> {
      timer?.disarm();
      stopped = true;
      await condition(() => !publishing);
    },

    /**
     * Follow-up notes first, then each events signal in arrival order, then follow-up requests
     * (none without `onRequest`: the legacy engine cannot take them, and says so).
     */
    async takeSignals(
      onEvents: (deliveries: Delivery[], forwardedBy?: string) => Promise<void> | void,
      onRequest?: (request: FollowUpRequest) => Promise<void>,
    ): Promise<void> {
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
        await onEvents(signal.data.deliveries, signal.data.forwardedBy);
      }
      for (const payload of requests.splice(0)) {
        const request = FollowUpRequestSchema.safeParse(payload);
        if (!request.success)
          log.warn('follow-up request refused', { issues: request.error.issues });
        else if (onRequest === undefined)
          log.warn('follow-up request left: a run from before them');
        else await onRequest(request.data);
      }
    },

    /** `facts`: the customer at the drop, for notifications (the legacy engine has none). */
    async startFollowUp(
      record: FollowUpRecord,
      playbook: Playbook,
      facts?: DropFacts,
    ): Promise<void> {
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
              ...(facts === undefined ? {} : { facts }),
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
    },

    async reengaged(followUpId: string, eventId: string, at: number): Promise<void> {
      await getExternalWorkflowHandle(followUpId)
        .signal(reengagedSignal, { eventId, at })
        .catch((error: unknown) => log.info('follow-up gone before re-engagement', { error }));
    },

    async cancel(followUpId: string): Promise<void> {
      await getExternalWorkflowHandle(followUpId)
        .cancel()
        .catch((error: unknown) => log.info('follow-up gone before cancellation', { error }));
    },

    /**
     * Continues as new when the server suggests it (or the test's history limit is reached),
     * once every handler and publish is done; true when it could not yet (a signal came in).
     */
    async handedOver(): Promise<boolean> {
      if (!handOverDue()) return false;
      await condition(
        () =>
          allHandlersFinished() &&
          !publishing &&
          (!handOverPublished || engine.unpublishedCount === 0),
      );
      if (!woken()) {
        // The run closes without a timer of its own pending: the next run arms its instants.
        timer?.disarm();
        await continueAsNew<typeof customerEngagement>({
          customerId,
          ...(pinned === undefined ? {} : { settings: pinned }),
          snapshot: engine.snapshot(),
        });
      }
      return true;
    },

    /**
     * Sleeps until `next` (on one durable timer), or until a signal comes; with `handOver`, also
     * until a hand-over falls due once publishing is done, so that a burst of verdicts published
     * while the loop sleeps does not leave the history long until the next event.
     */
    async sleepUntil(next: NextCheck | null, { handOver = false } = {}): Promise<void> {
      const wake = handOver ? () => woken() || (handOverDue() && !publishing) : woken;
      if (next === null) {
        timer?.disarm();
        await condition(wake);
      } else if (next.at > workflowNow()) {
        if (timer !== undefined) await timer.until(next.at, wake);
        else await condition(wake, next.at - workflowNow());
      }
    },
  };
}
