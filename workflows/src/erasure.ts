import {
  isGrpcServiceError,
  ServiceError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { customerWorkflowId } from './shared/ids.js';

/** What erasing customers did in Temporal (the erasure receipt's Temporal part). */
export interface WorkflowErasure {
  /** Runs of their customer workflows and follow-ups still running, terminated. */
  readonly terminated: number;
  /** Runs deleted with their histories: every run of each, continued-as-new ones included. */
  readonly deleted: number;
}

/**
 * A string literal of Temporal's list filter (an SQL-like language): single quotes, with quotes
 * and backslashes escaped, so that an id can never close it and add a clause of its own.
 */
export function filterLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Terminates and deletes every workflow of the given customers: each run of their engagement
 * workflow (`customer:<id>`, continued-as-new runs included) and of their follow-ups
 * (`followup:<id>:…`), found through the server's visibility. Deletion removes the histories,
 * and with them every event and fact they carried; the server does it asynchronously, and its
 * visibility forgets the runs shortly after.
 */
export async function eraseCustomerWorkflows(
  client: Client,
  customerIds: readonly string[],
): Promise<WorkflowErasure> {
  let terminated = 0;
  let deleted = 0;
  for (const id of customerIds) {
    const query = [
      `WorkflowId = ${filterLiteral(customerWorkflowId(id))}`,
      `WorkflowId STARTS_WITH ${filterLiteral(`followup:${id}:`)}`,
    ].join(' OR ');
    for await (const run of client.workflow.list({ query })) {
      // Ids may hold `:`: `followup:acme:` also starts the follow-ups of `acme:eu`. Theirs end
      // in `<trigger>:<instant>` right after the prefix.
      if (!isTheirs(run.workflowId, id)) continue;
      if (run.status.name === 'RUNNING') {
        await client.workflow
          .getHandle(run.workflowId, run.runId)
          .terminate('the customer was erased')
          .then(() => (terminated += 1))
          .catch(ignoreGone);
      }
      await client.workflowService
        .deleteWorkflowExecution({
          namespace: client.options.namespace,
          workflowExecution: { workflowId: run.workflowId, runId: run.runId },
        })
        .then(() => (deleted += 1))
        .catch(ignoreGone);
    }
  }
  return { terminated, deleted };
}

/** Whether a workflow listed for `customerId` is theirs: their engagement or a follow-up of theirs. */
export function isTheirs(workflowId: string, customerId: string): boolean {
  if (workflowId === customerWorkflowId(customerId)) return true;
  const prefix = `followup:${customerId}:`;
  // The instant is the drop's, in epoch milliseconds: a predicted crossing has a fraction.
  return (
    workflowId.startsWith(prefix) && /^[a-z_]+:\d+(?:\.\d+)?$/.test(workflowId.slice(prefix.length))
  );
}

/** A run closed or deleted meanwhile (a second erasure, the server's own cleanup) is fine. */
function ignoreGone(error: unknown): void {
  if (error instanceof WorkflowNotFoundError) return;
  const cause = error instanceof ServiceError ? error.cause : error;
  // gRPC NOT_FOUND (5), or FAILED_PRECONDITION (9): terminating a run that just closed.
  if (isGrpcServiceError(cause) && [5, 9].includes(Number(cause.code))) return;
  throw error;
}
