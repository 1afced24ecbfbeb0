import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '@rapport/schema';
import type { Logger } from 'pino';
import { readiness, reasonOf, type Readiness, type ReadinessChecks } from './readiness.js';

/**
 * How a service's `start` reaches its servers (Kafka, Redis, Temporal). A service listens first
 * (its ops port, or its HTTP port), then takes each step that needs a server through `need`.
 *
 * In a service process (`runService`), a server that does not answer is waited for: the step is
 * tried again with back-off while `/healthz` answers and `/readyz` answers 503 naming the server
 * and why, and a SIGTERM meanwhile stops the process. A server down at start-up is no fault of the
 * service, and a process that exits for it leaves its supervisor to guess when to try again.
 * Started in-process (`startOnce`: tests, benchmarks), every step is tried once.
 */
export interface Startup {
  /** Aborted when the process is told to stop before its start-up finished. */
  readonly signal: AbortSignal;
  /** Whether start-up is over; until then the routes behind a key answer 503 `NOT_READY`. */
  readonly finished: boolean;
  /**
   * Runs `step`, which needs `dependency` (`kafka`, `redis`, `temporal`), until it succeeds.
   * Rejects with a `StartupError` once `signal` aborts.
   */
  need<T>(dependency: string, step: () => Promise<T>): Promise<T>;
  /** `/readyz`: not ready with what start-up waits for while it lasts, then `checks`. */
  readiness(checks: ReadinessChecks): Promise<Readiness>;
}

export class StartupError extends CodedError<'STOPPED_WHILE_STARTING'> {}

/** A start in-process: every step once, a server that does not answer fails it. */
export const startOnce: Startup = {
  signal: new AbortController().signal,
  finished: true,
  need: (_dependency, step) => step(),
  readiness: (checks) => readiness(checks),
};

export interface RetryPolicy {
  /** The pause after the first failure, doubled after each next one up to `maxMs`. */
  readonly firstMs: number;
  readonly maxMs: number;
  /** A failure with the same reason as the last one logged is logged again only after this. */
  readonly repeatLogMs: number;
}

/**
 * Half a second doubling to five: a server that comes back is noticed within about five seconds
 * (a step against a dead broker itself takes some three more, kafkajs's own retries), and a long
 * outage costs an attempt every five to eight seconds and a log line a minute per dependency.
 */
const RETRY: RetryPolicy = { firstMs: 500, maxMs: 5_000, repeatLogMs: 60_000 };

/** The start-up of a service process (`runService`): waits for its servers as long as it takes. */
export class WaitingStartup implements Startup {
  readonly #stop = new AbortController();
  /** Each dependency a step needed so far: `ok`, or why its last attempt failed. */
  readonly #states = new Map<string, string>();
  #finished = false;

  constructor(
    private readonly logger: Logger,
    private readonly retry: RetryPolicy = RETRY,
  ) {}

  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  get finished(): boolean {
    return this.#finished;
  }

  finish(): void {
    this.#finished = true;
  }

  /** Stops every step waiting for a server: `need` rejects, and `start` cleans up and rejects. */
  stop(): void {
    this.#stop.abort(new StartupError('STOPPED_WHILE_STARTING', 'stopped while starting'));
  }

  async need<T>(dependency: string, step: () => Promise<T>): Promise<T> {
    const since = Date.now();
    let logged: { readonly reason: string; readonly at: number } | undefined;
    if (!this.#states.has(dependency)) this.#states.set(dependency, 'connecting');
    for (let attempt = 1; ; attempt += 1) {
      try {
        // A step in flight is abandoned on a stop: the process exits once `start` rejects.
        const result = await abortable(step(), this.signal);
        this.#states.set(dependency, 'ok');
        if (logged !== undefined) {
          const seconds = ((Date.now() - since) / 1000).toFixed(1);
          this.logger.info(`${dependency} answered after ${seconds} s (${attempt} attempts)`);
        }
        return result;
      } catch (error) {
        if (this.signal.aborted) throw this.signal.reason;
        const reason = reasonOf(error);
        this.#states.set(dependency, reason);
        const delayMs = Math.min(this.retry.maxMs, this.retry.firstMs * 2 ** (attempt - 1));
        if (
          logged === undefined ||
          logged.reason !== reason ||
          Date.now() - logged.at >= this.retry.repeatLogMs
        ) {
          this.logger.warn(
            { dependency, attempt, retryInMs: delayMs },
            `waiting for ${dependency}: ${reason}`,
          );
          logged = { reason, at: Date.now() };
        }
        await sleep(delayMs, undefined, { signal: this.signal }).catch(() => undefined);
        if (this.signal.aborted) throw this.signal.reason;
      }
    }
  }

  readiness(checks: ReadinessChecks): Promise<Readiness> {
    if (this.#finished) return readiness(checks);
    const waiting = [...this.#states].filter(([, state]) => state !== 'ok').map(([name]) => name);
    return Promise.resolve({
      status: 'not_ready',
      checks: {
        ...Object.fromEntries(this.#states),
        startup: waiting.length > 0 ? `waiting for ${waiting.join(', ')}` : 'in progress',
      },
    });
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
