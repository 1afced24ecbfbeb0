import type { Config } from '@rapport/config';
import { ApiError, type Logger } from '@rapport/lifecycle';
import type { FollowUpBody } from '@rapport/schema';
import type { FollowUpRequest } from '@rapport/workflows';
import type { requestFollowUp as RequestFollowUp } from '@rapport/workflows/client';
import type { Client, Connection } from '@temporalio/client';

/** How long a follow-up request waits on Temporal before the route answers 503. */
const SIGNAL_TIMEOUT_MS = 5_000;
/** What a 503 asks the caller to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

// The route's body is the workflow's signal: a change to either is a type error here.
const sameShape = (body: FollowUpBody): FollowUpRequest => body;

/** The customer workflows, as the query API's admin route reaches them. */
export interface Workflows {
  /**
   * Asks the customer's workflow for a follow-up now (the named playbook, or the first for manual
   * requests). False when the customer has no workflow; a 503 ApiError when Temporal does not
   * answer.
   */
  requestFollowUp(customerId: string, body: FollowUpBody): Promise<boolean>;
  /** Closes the connection, if one was opened. */
  close(): Promise<void>;
}

interface Link {
  readonly connection: Connection;
  readonly client: Client;
  readonly requestFollowUp: typeof RequestFollowUp;
  /** What Temporal's failures are (not answering, refusing the call): the others are faults. */
  readonly isTemporalFailure: (error: unknown) => boolean;
}

const unavailable = () =>
  new ApiError(
    503,
    'TEMPORAL_UNAVAILABLE',
    'the customer workflows (Temporal) did not answer: the follow-up was not requested; retry later',
    [],
    RETRY_AFTER_SECONDS,
  );

/**
 * The query API's link to Temporal, made on first use: reads never need it, so the Temporal client
 * (about 0.5 s to load and 30 MB) is loaded, and the connection opened, only when an admin first
 * asks for a follow-up. The API starts and serves reads whatever Temporal's state; while Temporal
 * is down only the follow-up route answers 503. The connection is one gRPC channel, kept for the
 * life of the process: it reconnects by itself once Temporal is back. Like every connection of
 * Rapport it has no retry interceptor (see connectWithoutRetries): each call is bounded instead.
 */
export function workflowsOf(temporal: Config['temporal'], logger: Logger): Workflows {
  let link: Promise<Link> | undefined;
  let closed = false;

  const open = async (): Promise<Link> => {
    const [sdk, { requestFollowUp }, { temporalConnectionOptions }] = await Promise.all([
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
      requestFollowUp,
      isTemporalFailure: (error) =>
        error instanceof ServiceError || error instanceof NamespaceNotFoundError,
    };
  };

  return {
    async requestFollowUp(customerId, body) {
      if (closed) throw unavailable();
      link ??= open().catch((error: unknown) => {
        link = undefined;
        throw error;
      });
      const { connection, client, requestFollowUp, isTemporalFailure } = await link;
      try {
        return await connection.withDeadline(Date.now() + SIGNAL_TIMEOUT_MS, () =>
          requestFollowUp(client, customerId, sameShape(body)),
        );
      } catch (error) {
        if (!isTemporalFailure(error)) throw error;
        // The log is the operator's: it names the address and the cause; the answer names neither.
        logger.warn({ err: error, customerId }, 'follow-up request: Temporal did not answer');
        throw unavailable();
      }
    },
    async close() {
      closed = true;
      const opened = await link?.catch(() => undefined);
      await opened?.connection.close();
    },
  };
}
