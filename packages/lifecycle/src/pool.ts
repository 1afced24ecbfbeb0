import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { RunningService } from './index.js';
import { listenForOps, type OpsServer, type OpsSources } from './ops.js';
import {
  ANSWER_TIMEOUT_MS,
  Replies,
  WorkerMessageSchema,
  type PrimaryMessage,
  type Question,
  type WorkerMessage,
} from './pool-worker.js';
import { mergeReadiness, reasonOf } from './readiness.js';
import { abortable } from './startup.js';

/**
 * One service over several processes (node:cluster), so that a CPU-bound service uses every
 * core: each worker is the whole service (a consumer joins the group and takes its share of the
 * partitions; an HTTP service listens on the port the workers share, where the primary hands out
 * the connections), and the primary only supervises them. For a consumer, the primary serves
 * `/healthz`, `/readyz` and `/metrics` on the service's ops port, aggregated: counters summed
 * across workers, readiness ready only when every worker is running and ready. An HTTP service
 * serves its own ops routes, and any worker's `/metrics` asks the primary for the same sum.
 *
 * The primary's ops port answers from the moment it forks: a worker answers its questions while
 * it still waits for its servers (`Startup`), so `/readyz` says what the pool waits for. A worker
 * that dies is started again after a pause; a worker that dies before it started fails the whole
 * start (its own log says why). SIGKILL of the primary ends the workers too: a cluster worker
 * exits as soon as its primary's channel closes.
 */

/** The pause before a worker that died is started again (a crash loop stays slow and visible). */
const RESTART_DELAY_MS = 1_000;

export interface ProcessPoolOptions {
  /** The service's name, for logs. */
  readonly name: string;
  readonly processes: number;
  readonly logger: Logger;
  /** Where the primary serves the aggregated ops routes; unset when the workers serve them. */
  readonly ops?: { readonly host: string; readonly port: number };
  /** Aborted when the pool is told to stop while its workers start: they stop, the start rejects. */
  readonly signal?: AbortSignal;
}

/**
 * The service as one process (`startOne` here), or as a pool of `pool.processes` when there are
 * several: the entry point runs once as the pool's primary, which forks the workers, and once in
 * each worker (`cluster.isWorker`), where `startOne` runs.
 */
export async function startPooled(
  pool: ProcessPoolOptions,
  startOne: () => Promise<RunningService>,
): Promise<RunningService> {
  if (cluster.isPrimary && pool.processes > 1) return startProcessPool(pool);
  const service = await startOne();
  // In a pool's worker the primary counts it started from here (it answered questions before).
  if (cluster.isWorker) process.send?.({ type: 'rapport:started' } satisfies WorkerMessage);
  return service;
}

/**
 * In the primary: serves the ops port, forks the workers (each runs the service's entry point
 * again, where `cluster.isWorker` holds) and waits until every one has started.
 */
export async function startProcessPool(options: ProcessPoolOptions): Promise<RunningService> {
  const { name, processes, logger } = options;
  const workers = new Set<Worker>();
  /** Those of `workers` that answer questions: the ones asked for readiness and metrics. */
  const answering = new Set<Worker>();
  const replies = new Replies<OpsAnswer, Worker>(ANSWER_TIMEOUT_MS);
  let stopping = false;

  const fork = (): Promise<Worker> => {
    const worker = cluster.fork();
    workers.add(worker);
    return new Promise((resolve, reject) => {
      let started = false;
      worker.once('exit', (code, signal) => {
        workers.delete(worker);
        answering.delete(worker);
        replies.failAll(worker, new Error(`worker ${worker.id} ${exitOf(code, signal)}`));
        if (!started) {
          reject(
            new Error(`${name} worker ${worker.id} ${exitOf(code, signal)} before it started`),
          );
        } else if (!stopping) {
          logger.error(`${name} worker ${worker.id} ${exitOf(code, signal)}; starting another`);
          restartLater();
        }
      });
      worker.on('message', (raw: unknown) => {
        const parsed = WorkerMessageSchema.safeParse(raw);
        if (!parsed.success) return;
        const message = parsed.data;
        if (message.type === 'rapport:ops!') return replies.answer(message.id, message);
        if (message.type === 'rapport:pool?') return answerWorker(worker, message.id, message.want);
        if (message.type === 'rapport:answering') return void answering.add(worker);
        started = true;
        resolve(worker);
      });
    });
  };

  const restartLater = () =>
    setTimeout(() => {
      if (stopping) return;
      fork().catch((error: unknown) => {
        if (stopping) return;
        logger.error({ err: error }, `${name}: a replacement worker failed to start`);
        restartLater();
      });
    }, RESTART_DELAY_MS).unref();

  const ask = (worker: Worker, want: Question['want']) =>
    replies.ask(
      worker,
      (id, fail) => {
        // A worker that just died may not have been reaped yet: its channel refuses the
        // question, or takes it and its exit comes instead of an answer (see `fork`).
        if (!worker.isConnected()) fail(new Error(`worker ${worker.id} is not connected`));
        else
          worker.send({ type: 'rapport:ops?', id, want } satisfies Question, (error) => {
            if (error !== null) fail(error);
          });
      },
      `worker ${worker.id} did not answer`,
    );
  const askRunning = (want: Question['want']) => [...answering].map((worker) => ask(worker, want));

  /** The whole pool's ops answers: for the primary's ops port, or for a worker that asks. */
  const pool: OpsSources = {
    readiness: async () => {
      const answers = await Promise.allSettled(askRunning('readiness'));
      return mergeReadiness(
        processes,
        answers.map((answer) =>
          answer.status === 'fulfilled' ? answer.value.readiness : undefined,
        ),
      );
    },
    metrics: async () => {
      const answers = await Promise.all(askRunning('metrics'));
      // prom-client's own aggregation (sum, or what each metric declares), as its cluster mode.
      return AggregatorRegistry.aggregate(
        answers.map((answer) => (answer.metrics ?? []) as never),
      ).metrics();
    },
  };
  const answerWorker = (worker: Worker, id: number, want: Question['want']) =>
    void (
      want === 'readiness'
        ? pool.readiness().then((readiness) => ({ readiness }))
        : pool.metrics().then((text) => ({ text }))
    )
      .catch((error: unknown) => ({ error: reasonOf(error) }))
      .then((answer) => {
        if (worker.isConnected())
          worker.send({ type: 'rapport:pool!', id, ...answer } satisfies PrimaryMessage);
      });

  const stopWorkers = async () => {
    stopping = true;
    await Promise.all(
      [...workers].map(async (worker) => {
        if (worker.isDead()) return;
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.process.kill('SIGTERM'); // Each worker stops gracefully, as on its own.
        await exited;
      }),
    );
  };

  const ops: OpsServer | undefined =
    options.ops && (await listenForOps(options.ops.host, options.ops.port, pool));
  try {
    const forks = Promise.all(Array.from({ length: processes }, fork));
    await (options.signal ? abortable(forks, options.signal) : forks);
  } catch (error) {
    await ops?.close();
    await stopWorkers();
    throw error;
  }
  return {
    description: ops
      ? `${processes} worker processes; aggregated health and metrics on ${ops.url}`
      : `${processes} worker processes sharing the service's port`,
    async stop() {
      await ops?.close();
      await stopWorkers();
    },
  };
}

type OpsAnswer = Extract<WorkerMessage, { type: 'rapport:ops!' }>;

const exitOf = (code: number | null, signal: string | null) =>
  signal ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
