import {
  ActivityFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import {
  followUpFinishedSignal,
  FollowUpInputSchema,
  progressQuery,
  ReengagedSchema,
  reengagedSignal,
  type FollowUpInput,
  type Reengaged,
  type StepResult,
} from '../shared/definitions.js';
import { derivedEvent } from '../shared/derived.js';
import { publishDerived } from '../shared/publish.js';
import type { FollowUpOutcome, Step } from '../shared/settings.js';
import { iso, workflowNow } from '../shared/time.js';
import type { FollowUpActivities } from './activities.js';

/**
 * A destination that keeps failing (a webhook, Slack, a mail server) is retried for an hour with
 * back-off, then the step is recorded as failed and the playbook goes on: a broken CRM hook must
 * not stop the wait for the customer.
 */
const { notify } = proxyActivities<FollowUpActivities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1h',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' },
});

export interface FollowUpResult {
  readonly outcome: FollowUpOutcome;
  readonly at: number;
}

/**
 * A follow-up: runs one playbook's steps for one drop, until the customer re-engages (the
 * customer workflow signals it), the steps run out, a `close` step says so, or it is cancelled.
 * It publishes `followup.started` and `followup.finished`, and tells the customer workflow how it
 * ended, whichever run of it is current by then.
 */
export async function followUp(input: FollowUpInput): Promise<FollowUpResult> {
  const followUpInput = FollowUpInputSchema.parse(input);
  const { followUpId, customerId, playbook } = followUpInput;
  let reengaged: Reengaged | undefined;
  const steps: StepResult[] = [];
  let outcome: FollowUpOutcome | null = null;
  setHandler(reengagedSignal, (payload) => {
    const parsed = ReengagedSchema.safeParse(payload);
    if (parsed.success) reengaged ??= parsed.data;
  });
  setHandler(progressQuery, () => ({
    steps: [...steps],
    reengagedAt: reengaged?.at ?? null,
    outcome,
  }));

  const publish = (type: 'followup.started' | 'followup.finished', properties: object) =>
    publishDerived([
      derivedEvent({
        type,
        customerId,
        key: followUpId,
        occurredAt: workflowNow(),
        now: workflowNow(),
        properties: {
          followUpId,
          playbook: playbook.name,
          trigger: followUpInput.trigger,
          stage: followUpInput.stage,
          dropAt: followUpInput.dropAt,
          ...properties,
        },
      }),
    ]);

  const runStep = async (step: Step, index: number): Promise<FollowUpOutcome | undefined> => {
    const record = (result: string) => steps.push({ index, kind: step.kind, startedAt, result });
    const startedAt = workflowNow();
    switch (step.kind) {
      case 'notify':
      case 'escalate': {
        try {
          // The notification names its step (playbook and index), and the worker knows where
          // that step goes; no URL or address enters this workflow or its history.
          const sent = await notify({
            idempotencyKey: `${followUpId}:${index}`,
            notification: {
              type: step.kind === 'notify' ? 'followup.notify' : 'followup.escalate',
              followUpId,
              customerId,
              playbook: playbook.name,
              step: index,
              message: step.message,
              trigger: followUpInput.trigger,
              stage: followUpInput.stage,
              dropAt: iso(followUpInput.dropAt),
              ...(followUpInput.facts === undefined ? {} : { facts: followUpInput.facts }),
            },
          });
          record(sent.delivered ? 'delivered' : `skipped: ${sent.reason}`);
        } catch (error) {
          if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
          record(`failed: ${error.cause?.message ?? error.message}`);
        }
        return undefined;
      }
      case 'wait': {
        const heard = await condition(() => reengaged !== undefined, step.upToMs);
        record(heard ? 're_engaged' : 'timed_out');
        return heard ? 're_engaged' : undefined;
      }
      case 'close':
        record(step.outcome);
        return step.outcome;
    }
  };

  const run = async (): Promise<FollowUpOutcome> => {
    for (const [index, step] of playbook.steps.entries()) {
      if (reengaged !== undefined) return 're_engaged';
      const closed = await runStep(step, index);
      if (closed !== undefined) return closed;
    }
    return reengaged === undefined ? 'no_response' : 're_engaged';
  };

  await publish('followup.started', {});
  try {
    outcome = await run();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    outcome = 'cancelled';
  }
  const ended = outcome;
  const at = workflowNow();
  // Whatever cancelled the steps, the ending is still published and reported.
  await CancellationScope.nonCancellable(async () => {
    await publish('followup.finished', { outcome: ended, steps: steps.length });
    await getExternalWorkflowHandle(followUpInput.parentWorkflowId)
      .signal(followUpFinishedSignal, { followUpId, outcome: ended, at })
      .catch((error: unknown) => log.warn('customer workflow not told', { error }));
  });
  return { outcome: ended, at };
}
