import type { Config } from '@rapport/config';
import {
  Client,
  Connection,
  QueryNotRegisteredError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type QueryDefinition,
  type SignalDefinition,
  type WorkflowHandle,
} from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { temporalConnectionOptions, type TemporalConnectionOptions } from './connection.js';
import type { customerEngagement } from './customer-engagement/workflow.js';
import {
  CustomerViewSchema,
  eventsSignal,
  MergedResultSchema,
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

/** Links followed from a merged customer to its survivor before giving up (a cycle is a bug). */
const MAX_HOPS = 32;

/**
 * Signals the customer's workflow, starting it if it is not running. A customer workflow only
 * completes when it was merged into another: such a run is not started again (the server refuses
 * with WorkflowExecutionAlreadyStartedError: see survivorOf), while a failed, terminated or
 * cancelled one may be.
 */
export async function signalCustomerWorkflow<Args>(
  client: Client,
  taskQueue: string,
  customerId: string,
  signal: SignalDefinition<[Args]>,
  payload: Args,
): Promise<void> {
  await client.workflow.signalWithStart<typeof customerEngagement, [Args]>(
    CUSTOMER_ENGAGEMENT_WORKFLOW,
    {
      workflowId: customerWorkflowId(customerId),
      taskQueue,
      args: [{ customerId }],
      signal,
      signalArgs: [payload],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    },
  );
}

/**
 * Delivers a customer's events to their workflow, starting it if it is not running (the bridge's
 * one call per customer per batch). Resolves when the server has accepted the signal. Rejects
 * with WorkflowExecutionAlreadyStartedError when the customer was merged into another (its
 * workflow completed): the caller sends the same deliveries to `survivorOf(customerId)`.
 * `forwardedBy`: a merged workflow forwarding what reached it after its hand-over.
 */
export async function signalCustomer(
  client: Client,
  taskQueue: string,
  customerId: string,
  deliveries: readonly Delivery[],
  { forwardedBy }: { readonly forwardedBy?: string } = {},
): Promise<void> {
  await signalCustomerWorkflow(client, taskQueue, customerId, eventsSignal, {
    deliveries: [...deliveries],
    ...(forwardedBy === undefined ? {} : { forwardedBy }),
  });
}

/**
 * The id `customerId` was merged into, read from its workflow's closed run (`{ mergedInto }`);
 * null while it runs, when it never ran, or when it closed otherwise (failed, terminated).
 */
export async function mergedInto(client: Client, customerId: string): Promise<string | null> {
  let described;
  try {
    described = await client.workflow.getHandle(customerWorkflowId(customerId)).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return null;
    throw error;
  }
  if (described.status.name !== 'COMPLETED') return null;
  // That very run, closed: its result is there at once (no wait on a newer run).
  const result: unknown = await client.workflow
    .getHandle(described.workflowId, described.runId, { followRuns: false })
    .result();
  const merged = MergedResultSchema.safeParse(result);
  return merged.success ? merged.data.mergedInto : null;
}

/**
 * Where a customer's events go now: the customer itself, or, when it was merged into another
 * (its workflow completed with `{ mergedInto }`), the end of that chain (a→b, then b→c: c).
 */
export async function survivorOf(client: Client, customerId: string): Promise<string> {
  let current = customerId;
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const next = await mergedInto(client, current);
    if (next === null) return current;
    current = next;
  }
  throw new Error(`${customerId}: more than ${MAX_HOPS} merges in a row (a cycle?)`);
}

/**
 * Sends with `send` to the customer's workflow, or, when it was merged (the start is refused:
 * WorkflowExecutionAlreadyStartedError), to its survivor, following the chain. Resolves to the
 * id whose workflow took it.
 */
export async function sendToSurvivor(
  client: Client,
  customerId: string,
  send: (target: string) => Promise<void>,
): Promise<string> {
  let target = customerId;
  for (let hop = 0; ; hop += 1) {
    try {
      await send(target);
      return target;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) || hop >= MAX_HOPS) throw error;
      const next = await survivorOf(client, target);
      if (next === target) throw error;
      target = next;
    }
  }
}

/**
 * The same deliveries the bridge would send, to the customer's survivor when it was merged
 * (signalCustomer, then survivorOf on refusal). Resolves to the id whose workflow took them.
 */
export function deliverToSurvivor(
  client: Client,
  taskQueue: string,
  customerId: string,
  deliveries: readonly Delivery[],
): Promise<string> {
  return sendToSurvivor(client, customerId, (target) =>
    signalCustomer(client, taskQueue, target, deliveries),
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
  /** `view.mergedInto` is set when the customer was merged into another: see mergedCustomer. */
  readonly view: CustomerView;
  readonly followUps: FollowUpRecord[];
}

/** A customer id merged into another: the id it merged into, and where that chain ends now. */
export interface MergedCustomer {
  readonly customerId: string;
  readonly mergedInto: string;
  readonly survivor: string;
}

/**
 * Whether the customer was merged into another (its workflow completed with `{ mergedInto }`),
 * and into whom in the end; null when it was not (it runs, or never ran). Reads the closed run's
 * result, no worker needed.
 */
export async function mergedCustomer(
  client: Client,
  customerId: string,
): Promise<MergedCustomer | null> {
  const merged = await mergedInto(client, customerId);
  if (merged === null) return null;
  return { customerId, mergedInto: merged, survivor: await survivorOf(client, merged) };
}

/**
 * The customer workflow's state and follow-ups; `null` when there is no such workflow. For a
 * customer merged into another, the ledger it handed over, with `view.mergedInto` set.
 */
export async function describeCustomer(
  client: Client,
  customerId: string,
): Promise<CustomerDescription | null> {
  const handle = client.workflow.getHandle(customerWorkflowId(customerId));
  try {
    // One after the other: while the workflow has a task in flight the server holds its queries
    // in a small buffer (one, by default) and refuses the query past it (RESOURCE_EXHAUSTED).
    const view = await queryOnceStarted(handle, stateQuery);
    // Registered with the state's query: answered once that one is.
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
 * A run registers its queries once its first task has loaded the settings (a local activity); a
 * query that reaches it before (a run just started, or its first task slowed past the task
 * timeout) is refused as not registered. How long to ask again before passing the refusal on.
 */
const STARTING_RUN_WAIT_MS = 5_000;
const STARTING_RUN_RETRY_MS = 100;

async function queryOnceStarted<T>(handle: WorkflowHandle, query: QueryDefinition<T>): Promise<T> {
  for (const deadline = Date.now() + STARTING_RUN_WAIT_MS; ;) {
    try {
      return await handle.query(query);
    } catch (error) {
      if (!(error instanceof QueryNotRegisteredError) || Date.now() >= deadline) throw error;
      await sleep(STARTING_RUN_RETRY_MS);
    }
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
