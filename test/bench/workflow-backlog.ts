import type { Client } from '@temporalio/client';

/** The task queue's workflow tasks waiting for a worker, as Temporal counts them. */
export interface WorkflowBacklog {
  readonly count: number;
  /** Seconds the oldest has waited. */
  readonly ageSeconds: number;
  /** Tasks handed to workers per second, Temporal's recent estimate. */
  readonly dispatchedPerSecond: number;
}

/** TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW (@temporalio/proto is not a dependency of its own). */
const WORKFLOW_TASKS = 1;

/**
 * How far the worker is behind: workflow tasks scheduled and not yet picked up. A signal the
 * bridge delivered is only a task in this queue until the worker runs it, so a bridge that keeps
 * up says nothing of the workflows; this does.
 */
export async function workflowBacklog(client: Client, taskQueue: string): Promise<WorkflowBacklog> {
  const { stats } = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: WORKFLOW_TASKS,
    reportStats: true,
  });
  const age = stats?.approximateBacklogAge;
  return {
    count: Number(stats?.approximateBacklogCount ?? 0),
    ageSeconds: Number(age?.seconds ?? 0) + (age?.nanos ?? 0) / 1e9,
    dispatchedPerSecond: stats?.tasksDispatchRate ?? 0,
  };
}
