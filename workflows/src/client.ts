import type { Config } from '@rapport/config';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { temporalConnectionOptions, type TemporalConnectionOptions } from './connection.js';
import type { customerEngagement } from './customer-engagement/workflow.js';
import {
  CustomerViewSchema,
  eventsSignal,
  FollowUpProgressSchema,
  FollowUpRecordSchema,
  FollowUpRequestSchema,
  followUpRequestSignal,
  followUpsQuery,
  LATEST_FOLLOW_UPS,
  progressQuery,
  stateQuery,
  type CustomerView,
  type CustomerWorkflow,
  type Delivery,
  type FollowUpRecord,
  type FollowUpRequest,
  type StepResult,
} from './shared/definitions.js';
import { customerWorkflowId } from './shared/ids.js';

/** The workflow type name, as registered by the worker's bundle. */
export const CUSTOMER_ENGAGEMENT_WORKFLOW = 'customerEngagement';

/**
 * Delivers a customer's events to their workflow, starting it if it is not running (the bridge's
 * one call per customer per batch). Resolves when the server has accepted the signal.
 */
export async function signalCustomer(
  client: Client,
  taskQueue: string,
  customerId: string,
  deliveries: readonly Delivery[],
): Promise<void> {
  await client.workflow.signalWithStart<typeof customerEngagement, [{ deliveries: Delivery[] }]>(
    CUSTOMER_ENGAGEMENT_WORKFLOW,
    {
      workflowId: customerWorkflowId(customerId),
      taskQueue,
      args: [{ customerId }],
      signal: eventsSignal,
      signalArgs: [{ deliveries: [...deliveries] }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    },
  );
}

/**
 * Asks the customer's workflow for a follow-up now (`rapport followup start`, the API's admin
 * route): the named playbook, or the first for the customer's stage. False when the customer has
 * no workflow (no event of theirs was ever delivered). What was decided shows in its drops.
 */
export async function requestFollowUp(
  client: Client,
  customerId: string,
  request: FollowUpRequest,
): Promise<boolean> {
  try {
    await client.workflow
      .getHandle(customerWorkflowId(customerId))
      .signal(followUpRequestSignal, FollowUpRequestSchema.parse(request));
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

export interface CustomerDescription {
  readonly view: CustomerView;
  readonly followUps: FollowUpRecord[];
}

/** The customer workflow's state and follow-ups; `null` when there is no such workflow. */
export async function describeCustomer(
  client: Client,
  customerId: string,
): Promise<CustomerDescription | null> {
  const handle = client.workflow.getHandle(customerWorkflowId(customerId));
  try {
    // One after the other: while the workflow has a task in flight the server holds its queries
    // in a small buffer (one, by default) and refuses the query past it (RESOURCE_EXHAUSTED).
    const view = await handle.query(stateQuery);
    const followUps = await handle.query(followUpsQuery);
    return {
      view: CustomerViewSchema.parse(view),
      followUps: z.array(FollowUpRecordSchema).parse(followUps),
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
}

/**
 * The customer workflow as the query API answers it: its state, and its latest follow-ups
 * (newest first, at most LATEST_FOLLOW_UPS) each with the steps its own workflow reports; `null`
 * when there is no such workflow. Each follow-up is asked on its own, so one that cannot answer
 * (its history is gone, or it does not answer in time) has `steps: null` and the rest still do.
 */
export async function describeCustomerWorkflow(
  client: Client,
  customerId: string,
): Promise<CustomerWorkflow | null> {
  const described = await describeCustomer(client, customerId);
  if (described === null) return null;
  const latest = described.followUps
    .toSorted((a, b) => b.startedAt - a.startedAt)
    .slice(0, LATEST_FOLLOW_UPS);
  const steps = await Promise.all(latest.map((record) => followUpSteps(client, record.id)));
  return {
    customerId,
    workflow: described.view,
    followUps: latest.map((record, index) => ({ ...record, steps: steps[index] ?? null })),
  };
}

/** A follow-up's steps so far (its workflow id is its record's id); null when it does not say. */
async function followUpSteps(client: Client, followUpId: string): Promise<StepResult[] | null> {
  try {
    const progress = await client.workflow.getHandle(followUpId).query(progressQuery);
    return FollowUpProgressSchema.parse(progress).steps;
  } catch {
    // Whatever kept this one follow-up from answering, the others and the state still stand.
    return null;
  }
}

/**
 * A connection without @temporalio/client's retry interceptor, for callers that bound their calls
 * with a deadline or retry on their own. The interceptor retries on a timer that neither a
 * call's deadline nor `close()` clears; fired after `close()`, it throws "Channel has been shut
 * down" outside any caller and crashes the process (or fails a test run).
 */
export function connectWithoutRetries(options: TemporalConnectionOptions): Promise<Connection> {
  return Connection.connect({ ...options, interceptors: [] });
}

/**
 * The same, over a connection of its own (for `rapport workflow`). A query is answered by a
 * worker: with none polling, it would wait for the server's own timeout, so it is bounded here.
 */
export async function describeCustomerAt(
  temporal: Config['temporal'],
  customerId: string,
  timeoutMs = 10_000,
): Promise<CustomerDescription | null> {
  // A Temporal that does not answer is reported at once, not retried past the deadline.
  const connection = await connectWithoutRetries(temporalConnectionOptions(temporal));
  try {
    const client = new Client({ connection, namespace: temporal.namespace });
    return await connection.withDeadline(Date.now() + timeoutMs, () =>
      describeCustomer(client, customerId),
    );
  } finally {
    await connection.close();
  }
}
