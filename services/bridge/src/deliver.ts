import { once, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumedBatch, DeadLetter } from '@rapport/kafka';
import type { StampedInteraction } from '@rapport/schema';
import type { Logger } from '@rapport/lifecycle';
import type { Delivery } from '@rapport/workflows';
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
} from '@temporalio/client';
import { coalesce, type CustomerDeliveries } from './coalesce.js';
import type { Limiter } from './limiter.js';
import type { Metrics } from './metrics.js';

export interface DeliveryDeps {
  /**
   * Resolves when Temporal accepted the signal; rejects (aborted) when `calls` aborts, and with
   * WorkflowExecutionAlreadyStartedError when the customer's workflow completed (merged away).
   */
  readonly signal: (customerId: string, deliveries: readonly Delivery[]) => Promise<void>;
  /**
   * Where a merged customer's events go: the end of its chain of merges (`survivorOf` of
   * @rapport/workflows/client). Without it, a merged customer's signal is retried as any other.
   */
  readonly survivorOf?: (customerId: string) => Promise<string>;
  /**
   * Where each customer's events go (the identity map: its survivor), and `null` for an erased
   * customer, whose events are skipped. Without it, every event goes to its own customer.
   */
  readonly route?: (customerIds: readonly string[]) => Promise<ReadonlyMap<string, string | null>>;
  /** Parks events Temporal refused for good; rejects if Kafka did not take them. */
  readonly deadLetter: (letters: readonly DeadLetter[]) => Promise<void>;
  /**
   * Resolves when what a signal needs answers (Temporal and its namespace, Redis): the
   * consumer's probe. With it, a signal that fails while they answer fails the batch, for the
   * consumer to retry and, if it keeps failing, to dead-letter (HANDLER_FAILED); only an outage
   * is waited out here. Without it, every failure is retried here.
   */
  readonly environment?: () => Promise<unknown>;
  readonly limiter: Limiter;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly groupId: string;
  /** Aborted when the bridge stops: no more retries. */
  readonly stopping: AbortSignal;
  /** How often it heartbeats Kafka while it waits: the configured heartbeat interval. */
  readonly heartbeatMs?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
}

const DEFAULT_BACKOFF = { initialMs: 100, maxMs: 5_000 };
/** The default heartbeat interval: calling more often than the configured one is throttled anyway. */
const DEFAULT_HEARTBEAT_MS = 3_000;

/**
 * Delivers one partition's batch: one signal per customer (more only past the size cap, sent
 * one after the other), customers in parallel under the shared limit. Returns only when every
 * signal was accepted, so the consumer commits the batch's offsets only then; a crash before
 * that redelivers the batch and each workflow skips what it has by its partition watermark.
 * Each customer's records are marked done as their signals are accepted, so a retry of the
 * batch sends only what failed. Heartbeats while it waits, so a long Temporal outage does not
 * cost the partition.
 */
export async function deliverBatch(
  batch: ConsumedBatch<StampedInteraction>,
  deps: DeliveryDeps,
): Promise<void> {
  const started = performance.now();
  // One abort for the batch: the bridge stopping, or kafkajs seeing a rebalance. Listeners are
  // removed at the end, so a long-lived bridge does not pile them up on its stop signal.
  const abort = new AbortController();
  setMaxListeners(deps.limiter.limit + 16, abort.signal);
  let rebalance: { readonly error: unknown } | undefined;
  const onStop = () => abort.abort(deps.stopping.reason);
  deps.stopping.addEventListener('abort', onStop, { once: true });
  if (deps.stopping.aborted) onStop();
  const heartbeats = setInterval(() => {
    batch.heartbeat().catch((error: unknown) => {
      rebalance ??= { error };
      abort.abort(error);
    });
  }, deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  try {
    const { records, workflowOf } = await routed(batch, deps);
    const byOffset = new Map(batch.records.map((record) => [record.offset, record]));
    const done = (deliveries: readonly Delivery[]) => {
      for (const { offset } of deliveries) {
        const record = byOffset.get(offset);
        if (record !== undefined) batch.markDone(record);
      }
    };
    // A failing customer fails the batch once every other customer settled: the retry must not
    // find a signal of the same customer still in flight. A stop or a rebalance leaves at once.
    const settled = Promise.allSettled(
      longestFirst(coalesce(records, undefined, workflowOf)).map((customer) =>
        deliverCustomer(customer, batch, deps, abort.signal, done),
      ),
    );
    await Promise.race([settled, once(abort.signal, 'abort')]);
    abort.signal.throwIfAborted();
    const failed = (await settled).find((outcome) => outcome.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } catch (error) {
    // A rebalance seen by heartbeat() goes back to kafkajs as it came, so it rejoins at once.
    throw rebalance === undefined ? error : rebalance.error;
  } finally {
    clearInterval(heartbeats);
    deps.stopping.removeEventListener('abort', onStop);
  }
  const newest = batch.records.at(-1);
  if (newest !== undefined) {
    deps.metrics.lagSeconds.set(
      { partition: String(batch.partition) },
      Math.max(0, Date.now() - newest.timestampMs) / 1000,
    );
  }
  deps.metrics.batchSeconds.observe((performance.now() - started) / 1000);
}

/**
 * The batch's records without those of erased customers, and the workflow each customer's go to:
 * the identity map's survivor, so that events still on the log under a merged id reach the
 * survivor without a round trip to the merged id's completed workflow first.
 */
async function routed(batch: ConsumedBatch<StampedInteraction>, deps: DeliveryDeps) {
  const { kept, routes } = await notErased(batch.records, ({ value }) => value.customerId, deps);
  return { records: kept, workflowOf: (id: string) => routes.get(id) ?? id };
}

/**
 * The items whose customers were not erased, counting those skipped, and the identity map's
 * route of each customer (every item kept, and no route, without a suppression list).
 */
async function notErased<T>(
  items: readonly T[],
  customerOf: (item: T) => string,
  deps: DeliveryDeps,
): Promise<{ kept: readonly T[]; routes: ReadonlyMap<string, string | null> }> {
  if (deps.route === undefined) return { kept: items, routes: new Map() };
  const routes = await deps.route([...new Set(items.map(customerOf))]);
  const kept = items.filter((item) => routes.get(customerOf(item)) !== null);
  if (kept.length < items.length) deps.metrics.erased.inc(items.length - kept.length);
  return { kept, routes };
}

/**
 * The customers with the most signals first. A customer's signals go one after the other, so the
 * busiest customer's are the longest part of a batch: started last, they would run on nearly
 * alone once the rest were delivered, the server idle but for them, and the batch (with every
 * partition of its fetch, which kafkajs fetches again only when all are done) waiting for them.
 */
function longestFirst(customers: CustomerDeliveries[]): CustomerDeliveries[] {
  return customers.sort((a, b) => b.signals.length - a.signals.length);
}

async function deliverCustomer(
  customer: CustomerDeliveries,
  batch: ConsumedBatch<StampedInteraction>,
  deps: DeliveryDeps,
  abort: AbortSignal,
  done: (deliveries: readonly Delivery[]) => void,
): Promise<void> {
  // One after the other, never two in flight for one customer, in one place of the limit: a
  // signal that queued again behind every other call waiting (every customer of the fetch) for
  // each next one would leave the busiest customer's last signals to run alone at the end.
  await deps.limiter.run(async () => {
    for (const deliveries of customer.signals) {
      await signalWithRetry(customer.customerId, deliveries, batch, deps, abort);
      // Delivered, skipped (erased meanwhile) or dead-lettered: finished either way.
      done(deliveries);
    }
  });
}

async function signalWithRetry(
  customerId: string,
  deliveries: readonly Delivery[],
  batch: ConsumedBatch<StampedInteraction>,
  deps: DeliveryDeps,
  abort: AbortSignal,
): Promise<void> {
  const stopTimer = deps.metrics.signalSeconds.startTimer();
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  // The workflow signalled: the customer's own, or its survivor's once it was merged away.
  let target = customerId;
  let sending = deliveries;
  for (let attempt = 0; ; attempt += 1) {
    abort.throwIfAborted();
    // Retrying through an outage, the customer may have been erased meanwhile: nothing of
    // theirs may start a workflow again after the erasure's sweeps.
    if (attempt > 0) {
      ({ kept: sending } = await notErased(sending, ({ event }) => event.customerId, deps));
      if (sending.length === 0) {
        stopTimer();
        return;
      }
    }
    try {
      await deps.signal(target, sending);
      deps.metrics.delivered(sending.length);
      stopTimer();
      return;
    } catch (error) {
      abort.throwIfAborted();
      if (refusedForGood(error)) {
        await deps.deadLetter(refusedLetters(sending, batch, deps.groupId, error));
        deps.metrics.deadLettered('SIGNAL_REFUSED', sending.length);
        deps.logger.error(
          { err: error, customerId, events: sending.length },
          `Temporal refused the signal for ${customerId}; its events went to the dead-letter topic`,
        );
        return;
      }
      const survivor = await mergedAway(error, target, deps);
      abort.throwIfAborted();
      if (survivor !== target) {
        // The same deliveries, at once, to the survivor: its filter keys them by their own id.
        deps.logger.info(
          { customerId, from: target, to: survivor, events: sending.length },
          `${target} was merged into ${survivor}; its events go there`,
        );
        target = survivor;
        continue;
      }
      // Failing while Temporal and Redis answer, the signal may never succeed (a workflow id
      // held by a run that is no merge, a request the server cannot take): the batch fails, and
      // the consumer retries it and dead-letters what keeps failing. Only an outage waits here.
      // A status that says "not now" (overloaded, out of time) is waited out whatever the probe
      // says: the same signal succeeds later.
      const answers = !notNow(error) && (await environmentAnswers(deps));
      abort.throwIfAborted();
      if (answers) throw error;
      deps.metrics.retries.inc();
      // Loud at first, then every tenth attempt: an outage must show without flooding the log.
      if (attempt % 10 === 0) {
        deps.logger.warn(
          { err: error, customerId, attempt },
          `signal for ${customerId} failed; retrying with back-off (the batch is not committed)`,
        );
      }
      const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 16));
      // An aborted sleep rejects with a bare AbortError: rethrow why it was aborted instead.
      await sleep(delay * (0.8 + 0.4 * Math.random()), undefined, { signal: abort }).catch(() =>
        abort.throwIfAborted(),
      );
    }
  }
}

/** Whether the environment answers; false without a probe: then every failure waits here. */
function environmentAnswers(deps: DeliveryDeps): Promise<boolean> {
  if (deps.environment === undefined) return Promise.resolve(false);
  return deps.environment().then(
    () => true,
    () => false,
  );
}

/**
 * The survivor of a customer whose workflow refused the signal because it completed (it was
 * merged into another: the start is refused by its reuse policy), read from its closed run's
 * result and followed along the chain; `target` itself otherwise, and when that cannot be read
 * now (then the signal is retried with back-off, as any other failure).
 */
async function mergedAway(error: unknown, target: string, deps: DeliveryDeps): Promise<string> {
  if (!(error instanceof WorkflowExecutionAlreadyStartedError) || deps.survivorOf === undefined) {
    return target;
  }
  try {
    return await deps.survivorOf(target);
  } catch (lookup) {
    deps.logger.warn({ err: lookup, customerId: target }, `survivor of ${target} not read`);
    return target;
  }
}

/**
 * A request Temporal finds invalid (a payload over its size limit, an id it cannot take) fails
 * for good: that signal can never succeed, and is dead-lettered at once (SIGNAL_REFUSED). Any
 * other failure is waited out while the environment does not answer, and otherwise left to the
 * consumer's bounded retries (see DeliveryDeps.environment).
 */
export function refusedForGood(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(cause) && Number(cause.code) === GRPC_INVALID_ARGUMENT;
}

const GRPC_INVALID_ARGUMENT = 3;

/**
 * gRPC statuses of a server that cannot take the call now (CANCELLED, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, ABORTED, UNAVAILABLE): a loaded Temporal answers them while its health
 * check and the namespace still answer, and the call succeeds once the load passes.
 */
const GRPC_NOT_NOW = new Set([1, 4, 8, 10, 14]);

export function notNow(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(cause) && GRPC_NOT_NOW.has(Number(cause.code));
}

function refusedLetters(
  deliveries: readonly Delivery[],
  batch: ConsumedBatch<StampedInteraction>,
  groupId: string,
  error: unknown,
): DeadLetter[] {
  const receivedAt = new Date().toISOString();
  const message = error instanceof Error ? error.message : String(error);
  return deliveries.map(({ partition, offset, event }) => ({
    reason: { code: 'SIGNAL_REFUSED', message: `Temporal refused the signal: ${message}` },
    source: 'bridge',
    receivedAt,
    original: JSON.stringify(event),
    customerId: event.customerId,
    context: { topic: batch.topic, partition, offset, groupId },
  }));
}
