import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { OpsServer, OpsSources } from './ops.js';
import { ReadinessSchema, reasonOf, type Readiness } from './readiness.js';

/** The messages between a process pool's primary (pool.ts) and its workers. */

/** How long the primary waits for a worker's answer before calling it unresponsive. */
export const ANSWER_TIMEOUT_MS = 5_000;
/** How long a worker waits for the pool's: longer than the primary may wait for its workers. */
const POOL_ANSWER_TIMEOUT_MS = 2 * ANSWER_TIMEOUT_MS;

const want = z.enum(['readiness', 'metrics']);

/** From the primary: its questions about a worker, and its answers about the whole pool. */
export const PrimaryMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rapport:ops?'), id: z.number(), want }),
  z.object({
    type: z.literal('rapport:pool!'),
    id: z.number(),
    readiness: ReadinessSchema.optional(),
    /** Every worker's metrics summed, Prometheus text. */
    text: z.string().optional(),
    /** Why there is neither. */
    error: z.string().optional(),
  }),
]);
export type PrimaryMessage = z.infer<typeof PrimaryMessageSchema>;
export type Question = Extract<PrimaryMessage, { type: 'rapport:ops?' }>;
type PoolAnswer = Extract<PrimaryMessage, { type: 'rapport:pool!' }>;

/**
 * From a worker: that it answers questions (from early in its start-up, while it waits for its
 * servers), that it started, its answers about itself, and its questions about the pool.
 */
export const WorkerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rapport:answering') }),
  z.object({ type: z.literal('rapport:started') }),
  z.object({
    type: z.literal('rapport:ops!'),
    id: z.number(),
    readiness: ReadinessSchema.optional(),
    /** `registry.getMetricsAsJSON()`, aggregated as prom-client's cluster support does. */
    metrics: z.array(z.unknown()).optional(),
  }),
  /** A worker serving ops routes on the port its pool shares asks for the pool's answer. */
  z.object({ type: z.literal('rapport:pool?'), id: z.number(), want }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessageSchema>;

/**
 * Questions sent over a process channel, each settled once: by its answer, by a failure to send
 * it, by `failAll` for the one it was sent to (that process exited), or after `timeoutMs`.
 */
export class Replies<T, To = undefined> {
  readonly #waiting = new Map<number, { to: To; settle: (answer: T | Error) => void }>();
  #nextId = 0;

  constructor(private readonly timeoutMs: number) {}

  /** `send` sends the question with the given id, and calls `fail` if it could not. */
  ask(
    to: To,
    send: (id: number, fail: (error: Error) => void) => void,
    timedOut: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      const settle = (answer: T | Error) => {
        if (!this.#waiting.delete(id)) return;
        clearTimeout(timer);
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      };
      const timer = setTimeout(
        () => settle(new Error(`${timedOut} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      this.#waiting.set(id, { to, settle });
      send(id, settle);
    });
  }

  answer(id: number, answer: T | Error): void {
    this.#waiting.get(id)?.settle(answer);
  }

  /** Settles every question still waiting for `to` with `error`. */
  failAll(to: To, error: Error): void {
    for (const question of [...this.#waiting.values()]) {
      if (question.to === to) question.settle(error);
    }
  }
}

/** A worker's side of its pool: it answers the primary, and can ask it about the whole pool. */
export interface PoolMember extends OpsServer {
  /** The pool's readiness and summed metrics, for ops routes the workers serve themselves. */
  readonly pool: OpsSources;
}

/**
 * In a pool's worker: answers the primary's questions with this process's readiness and metrics
 * from now on (a worker still waiting for its servers answers that it waits; `startPooled` tells
 * the primary once it started). A worker whose service listens on the port the pool shares (the
 * gateway) serves `/readyz` and `/metrics` from `pool`, so any worker's answer is the pool's.
 */
export function answerPrimary(readiness: () => Promise<Readiness>, registry: Registry): PoolMember {
  const replies = new Replies<PoolAnswer>(POOL_ANSWER_TIMEOUT_MS);
  const onMessage = (raw: unknown) => {
    const parsed = PrimaryMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'rapport:pool!') return replies.answer(message.id, message);
    const answer =
      message.want === 'readiness'
        ? readiness().then((body) => ({ readiness: body }))
        : registry.getMetricsAsJSON().then((metrics) => ({ metrics }));
    // Whatever fails here, the primary gets an answer (an empty one counts as not ready).
    void answer
      .catch(() => ({}))
      .then((body) => process.send?.({ type: 'rapport:ops!', id: message.id, ...body }));
  };
  const askPool = (question: z.infer<typeof want>) =>
    replies.ask(
      undefined,
      (id, fail) => {
        const message = { type: 'rapport:pool?', id, want: question } satisfies WorkerMessage;
        process.send?.(message, (error) => {
          if (error !== null) fail(error);
        });
      },
      `the pool primary did not answer for its ${question}`,
    );
  const pool: OpsSources = {
    // Not ready, with the reason, when the primary cannot say: never a 500 from /readyz.
    readiness: () =>
      askPool('readiness')
        .then((answer) => answerOf(answer, 'readiness'))
        .catch((error: unknown) => ({
          status: 'not_ready' as const,
          checks: { workers: reasonOf(error) },
        })),
    metrics: async () => answerOf(await askPool('metrics'), 'text'),
  };
  process.on('message', onMessage);
  process.send?.({ type: 'rapport:answering' } satisfies WorkerMessage);
  return {
    url: `the pool primary's port (this is worker ${cluster.worker?.id ?? '?'})`,
    pool,
    close: () => {
      process.off('message', onMessage);
      return Promise.resolve();
    },
  };
}

function answerOf<K extends 'readiness' | 'text'>(
  answer: PoolAnswer,
  part: K,
): NonNullable<PoolAnswer[K]> {
  const value = answer[part];
  if (value === undefined) {
    throw new Error(answer.error ?? `the pool primary sent no ${part}`);
  }
  return value;
}
