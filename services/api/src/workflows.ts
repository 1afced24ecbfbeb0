import type { Config } from '@rapport/config';
import { ApiError, type Logger } from '@rapport/lifecycle';
import type { FollowUpBody } from '@rapport/schema';
import type { CustomerWorkflow, FollowUpRequest } from '@rapport/workflows/definitions';
import type * as WorkflowsClient from '@rapport/workflows/client';
import type { WorkflowErasure } from '@rapport/workflows/erasure';
import type { Client, Connection } from '@temporalio/client';

/** How long a call to the customer workflows waits on Temporal before the route answers 503. */
const CALL_TIMEOUT_MS = 5_000;
/** An erasure lists, terminates and deletes every run of a person's workflows: more calls. */
const ERASE_TIMEOUT_MS = 30_000;
/** What a 503 asks the caller to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

// The route's body is the workflow's signal: a change to either is a type error here.
const sameShape = (body: FollowUpBody): FollowUpRequest => body;

/** The customer workflows, as the query API's routes reach them. */
export interface Workflows {
  /**
   * Asks the customer's workflow for a follow-up now (the named playbook, or the first for manual
   * requests). False when the customer has no workflow; a 503 ApiError when Temporal does not
   * answer.
   */
  requestFollowUp(customerId: string, body: FollowUpBody): Promise<boolean>;
  /**
   * The customer's workflow: its state and its latest follow-ups with their steps. Null when the
   * customer has no workflow; a 503 ApiError when Temporal does not answer.
   */
  describe(customerId: string): Promise<CustomerWorkflow | null>;
  /**
   * Terminates and deletes every workflow of these customers (engagement and follow-ups, every
   * run); a 503 ApiError when Temporal does not answer.
   */
  erase(customerIds: readonly string[]): Promise<WorkflowErasure>;
  /** Closes the connection, if one was opened. */
  close(): Promise<void>;
}

interface Link {
  readonly connection: Connection;
  readonly client: Client;
  /** The client's calls, loaded with it. */
  readonly calls: Pick<typeof WorkflowsClient, 'requestFollowUp' | 'describeCustomerWorkflow'>;
  /** What Temporal's failures are (not answering, refusing the call): the others are faults. */
  readonly isTemporalFailure: (error: unknown) => boolean;
}

/** 503 in the one error shape; `what` says what did not happen. */
const unavailable = (what: string) =>
  new ApiError(
    503,
    'TEMPORAL_UNAVAILABLE',
    `the customer workflows (Temporal) did not answer: ${what}; retry later`,
    [],
    RETRY_AFTER_SECONDS,
  );

/** The customer has no engagement workflow, for the routes that need one. */
export const noWorkflow = (code: 'CUSTOMER_NOT_FOUND' | 'WORKFLOW_NOT_FOUND', customerId: string) =>
  new ApiError(
    404,
    code,
    `no workflow for customer ${JSON.stringify(customerId)}: no event for this id has reached the engagement workflows`,
  );

/**
 * The query API's link to Temporal, made on first use: reads of the read model never need it, so
 * the Temporal client (about 0.5 s to load and 30 MB) is loaded, and the connection opened, only
 * when a route that reaches the workflows is first called. The API starts and serves the read
 * model whatever Temporal's state; while Temporal is down only those routes answer 503. The
 * connection is one gRPC channel, kept for the life of the process: it reconnects by itself once
 * Temporal is back. Like every connection of Rapport it has no retry interceptor (see
 * connectWithoutRetries): each call is bounded instead.
 */
export function workflowsOf(temporal: Config['temporal'], logger: Logger): Workflows {
  let link: Promise<Link> | undefined;
  let closed = false;

  const open = async (): Promise<Link> => {
    const [sdk, calls, { temporalConnectionOptions }] = await Promise.all([
      import('@temporalio/client'),
      import('@rapport/workflows/client'),
      import('@rapport/workflows/connection'),
    ]);
    const { Client, Connection, NamespaceNotFoundError, ServiceError } = sdk;
    // `lazy`: no call is made here, so a Temporal that is down fails the request that needs it
    // (503), not this one object for the life of the process.
    const connection = Connection.lazy({
      ...temporalConnectionOptions(temporal),
      interceptors: [],
    });
    const client = new Client({ connection, namespace: temporal.namespace });
    return {
      connection,
      client,
      calls,
      isTemporalFailure: (error) =>
        error instanceof ServiceError || error instanceof NamespaceNotFoundError,
    };
  };

  /**
   * One use of the workflows, as every route makes it: the link opened if it is not yet, the
   * whole use bounded by one deadline (a query waits for a worker to answer, and without one it
   * would wait for the server's own timeout), and Temporal's failures answered as 503. `what`
   * names, in the log and the answer, what did not happen.
   */
  const call = async <T>(
    what: string,
    customerId: string,
    use: (link: Link) => Promise<T>,
    timeoutMs = CALL_TIMEOUT_MS,
  ): Promise<T> => {
    if (closed) throw unavailable(what);
    link ??= open().catch((error: unknown) => {
      link = undefined;
      throw error;
    });
    const opened = await link;
    try {
      return await opened.connection.withDeadline(Date.now() + timeoutMs, () => use(opened));
    } catch (error) {
      if (!opened.isTemporalFailure(error)) throw error;
      // The log is the operator's: it names the address and the cause; the answer names neither.
      logger.warn({ err: error, customerId }, `${what}: Temporal did not answer`);
      throw unavailable(what);
    }
  };

  return {
    requestFollowUp: (customerId, body) =>
      call('the follow-up was not requested', customerId, ({ client, calls }) =>
        calls.requestFollowUp(client, customerId, sameShape(body)),
      ),
    describe: (customerId) =>
      call('the workflow was not read', customerId, ({ client, calls }) =>
        calls.describeCustomerWorkflow(client, customerId),
      ),
    erase: (customerIds) =>
      call(
        'the workflows were not erased',
        customerIds[0] ?? '',
        async ({ client }) => {
          const { eraseCustomerWorkflows } = await import('@rapport/workflows/erasure');
          return eraseCustomerWorkflows(client, customerIds);
        },
        ERASE_TIMEOUT_MS,
      ),
    async close() {
      closed = true;
      const opened = await link?.catch(() => undefined);
      await opened?.connection.close();
    },
  };
}
