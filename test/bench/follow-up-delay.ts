import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { customerWorkflowId, describeCustomer } from '@rapport/workflows';

import { sleep } from '../harness/processes.js';

const eventMs = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6);

/** A customer's first follow-up, timed against the instant its workflow predicted for the drop. */
export interface FollowUpStart {
  /** From the predicted instant to the customer workflow's durable timer firing (ms). */
  readonly firedAfter: number;
  /** From the predicted instant to the follow-up workflow's start (ms). */
  readonly startedAfter: number;
}

/**
 * Waits (polling the customer's workflow) until its first follow-up exists, then reads both
 * histories: when the durable timer fired (the customer workflow's TimerFired event before the
 * child's start) and when the follow-up workflow started (its WorkflowExecutionStarted event),
 * each against the predicted instant. Undefined if none exists by `deadline` (epoch ms).
 */
export async function followUpStart(
  client: Client,
  customerId: string,
  deadline: number,
): Promise<FollowUpStart | undefined> {
  for (;;) {
    const started = await firstFollowUpStarted(client, customerId);
    if (started !== undefined || Date.now() > deadline) return started;
    await sleep(250);
  }
}

/** The customer's first follow-up's timings, once the server has started it; else undefined. */
async function firstFollowUpStarted(
  client: Client,
  customerId: string,
): Promise<FollowUpStart | undefined> {
  const followUp = (await describeCustomer(client, customerId).catch(() => undefined))
    ?.followUps[0];
  if (followUp === undefined) return undefined;
  // The customer's view names the follow-up once its start is decided, which can be a moment
  // before the server has started it.
  const child = await client.workflow.getHandle(followUp.id).fetchHistory().catch(notStartedYet);
  if (child === undefined) return undefined;
  const parent = await client.workflow.getHandle(customerWorkflowId(customerId)).fetchHistory();
  const events = parent.events ?? [];
  const initiated = events.findIndex(
    (item) => item.startChildWorkflowExecutionInitiatedEventAttributes,
  );
  const timer = events.slice(0, initiated).findLast((item) => item.timerFiredEventAttributes);
  return {
    firedAfter: eventMs(timer?.eventTime) - followUp.dropAt,
    startedAfter: eventMs(child.events?.[0]?.eventTime) - followUp.dropAt,
  };
}

/** A workflow the server does not know yet (gRPC NOT_FOUND, 5) is undefined; anything else throws. */
function notStartedYet(error: unknown): undefined {
  if (error instanceof WorkflowNotFoundError) return undefined;
  if (isGrpcServiceError(error) && Number(error.code) === 5) return undefined;
  throw error;
}
