import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { RunningService } from './index';
import { listenForOps, type OpsServer } from './ops';
import { AnswerSchema, type Answer, type Question } from './pool-worker';
import { mergeReadiness } from './readiness';

/**
 * One service over several processes (node:cluster), so that a CPU-bound consumer uses every
 * core: each worker is the whole service (joins the consumer group, takes its share of the
 * partitions), and the primary only supervises them and serves their `/healthz`, `/readyz` and
 * `/metrics` on the service's one port, aggregated: counters summed across workers, readiness
 * ready only when every worker is running and ready.
 *
 * A worker that dies is started again after a pause; a worker that dies before it started fails
 * the whole start (its own log says why). SIGKILL of the primary ends the workers too: a cluster
 * worker exits as soon as its primary's channel closes.
 */

/** How long the primary waits for a worker's answer before calling it unresponsive. */
const ANSWER_TIMEOUT_MS = 5_000;
/** The pause before a worker that died is started again (a crash loop stays slow and visible). */
const RESTART_DELAY_MS = 1_000;

export interface ProcessPoolOptions {
  /** The service's name, for logs. */
  readonly name: string;
  readonly processes: number;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
}

export interface ProcessPool extends RunningService {
  /** Where the aggregated `/healthz`, `/readyz` and `/metrics` answer. */
  readonly url: string;
  /** The workers' process ids, for tests and operators. */
  pids(): number[];
}

/**
 * In the primary: forks the workers (each runs the service's entry point again, where
 * `cluster.isWorker` holds), waits until every one has started, then serves their ops endpoints.
 */
export async function startProcessPool(options: ProcessPoolOptions): Promise<ProcessPool> {
  const { name, processes, logger } = options;
  const workers = new Set<Worker>();
  const pending = new Map<number, (answer: OpsAnswer) => void>();
  let nextId = 0;
  let stopping = false;

  const fork = (): Promise<Worker> => {
    const worker = cluster.fork();
    workers.add(worker);
    return new Promise((resolve, reject) => {
      const failed = (code: number | null, signal: string | null) => {
        workers.delete(worker);
        reject(new Error(`${name} worker ${worker.id} ${exitOf(code, signal)} before it started`));
      };
      worker.once('exit', failed);
      worker.on('message', (message: unknown) => {
        const answer = AnswerSchema.safeParse(message);
        if (!answer.success) return;
        if (answer.data.type === 'rapport:ops!') {
          pending.get(answer.data.id)?.(answer.data);
          return;
        }
        worker.off('exit', failed);
        worker.on('exit', (code, signal) => replace(worker, code, signal));
        resolve(worker);
      });
    });
  };

  const replace = (worker: Worker, code: number | null, signal: string | null) => {
    workers.delete(worker);
    if (stopping) return;
    logger.error(`${name} worker ${worker.id} ${exitOf(code, signal)}; starting another`);
    restartLater();
  };
  const restartLater = () =>
    setTimeout(() => {
      if (stopping) return;
      fork().catch((error: unknown) => {
        logger.error({ err: error }, `${name}: a replacement worker failed to start`);
        restartLater();
      });
    }, RESTART_DELAY_MS).unref();

  const ask = (worker: Worker, want: Question['want']) =>
    new Promise<OpsAnswer>((resolve, reject) => {
      const id = nextId++;
      const settle = (answer: OpsAnswer | Error) => {
        clearTimeout(timer);
        pending.delete(id);
        if (answer instanceof Error) reject(answer);
        else resolve(answer);
      };
      const timer = setTimeout(
        () =>
          settle(new Error(`worker ${worker.id} did not answer within ${ANSWER_TIMEOUT_MS} ms`)),
        ANSWER_TIMEOUT_MS,
      );
      pending.set(id, settle);
      // A worker that just died may not have been reaped yet: its channel refuses the question.
      if (!worker.isConnected()) settle(new Error(`worker ${worker.id} is not connected`));
      else
        worker.send({ type: 'rapport:ops?', id, want } satisfies Question, (error) => {
          if (error !== null) settle(error);
        });
    });
  const askRunning = (want: Question['want']) =>
    [...workers].filter((worker) => !worker.isDead()).map((worker) => ask(worker, want));

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

  try {
    await Promise.all(Array.from({ length: processes }, fork));
  } catch (error) {
    await stopWorkers();
    throw error;
  }

  const ops: OpsServer = await listenForOps(options.host, options.port, {
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
  });
  return {
    url: ops.url,
    description: `${processes} worker processes; aggregated health and metrics on ${ops.url}`,
    pids: () => [...workers].flatMap((worker) => worker.process.pid ?? []),
    async stop() {
      await ops.close();
      await stopWorkers();
    },
  };
}

type OpsAnswer = Extract<Answer, { type: 'rapport:ops!' }>;

const exitOf = (code: number | null, signal: string | null) =>
  signal ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`;
