import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import type { Config } from '@rapport/config';
import {
  IngestResultSchema,
  SOURCE_HEADER,
  type IngestResult,
  type Interaction,
  type Issue,
} from '@rapport/schema';
import { CliError } from '../cli-errors.js';
import { parseJson, serviceError, type ServiceError } from './answers.js';
import { serverTarget, type ServerTarget } from './target.js';

/** Where the CLI sends events: every accepted event goes through the gateway's HTTP API. */
export type GatewayTarget = ServerTarget;

export const gatewayTarget = (
  config: Config,
  flags: { readonly gateway?: string | undefined; readonly key?: string | undefined },
): GatewayTarget => serverTarget(config, 'gateway', { url: flags.gateway, key: flags.key });

export interface RetryPolicy {
  /** Attempts per request, the first included, before giving up with a clear error. */
  readonly attempts: number;
  /** Longest wait between attempts, whatever Retry-After asks for. */
  readonly maxWaitMs: number;
  /** How long one request may take before it counts as a failed attempt. */
  readonly requestTimeoutMs: number;
}

/**
 * A rate limit answers `Retry-After: 1` and a Kafka outage `Retry-After: 5`: ten attempts ride
 * out a short broker restart or a sustained rate limit, and still end within a minute.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 10,
  maxWaitMs: 10_000,
  requestTimeoutMs: 30_000,
};

/** Statuses the gateway answers with Retry-After: rate limited, claimed by another request, Kafka down. */
const RETRY_STATUSES = new Set([409, 429, 503]);
/**
 * A gateway that cannot be reached at all (restarting, or not running) gets a few quick retries:
 * enough for a blip, short enough that a forgotten `rapport up` is reported at once.
 */
const UNREACHABLE_ATTEMPTS = 4;
const UNREACHABLE_WAIT_MS = 500;

/** What the gateway answered once retries are over: its counts, or its error. */
export type GatewayAnswer<Counts> =
  | { readonly ok: true; readonly status: number; readonly counts: Counts }
  | { readonly ok: false; readonly status: number; readonly error: ServiceError };

/** A batch the gateway refused as invalid (400), with its issues (`batch.<index>.<field>`). */
export type BatchOutcome =
  | { readonly ok: true; readonly counts: IngestResult }
  | { readonly ok: false; readonly issues: readonly Issue[] };

/** Something sent as one event of a batch: a CSV row, a replayed dead letter. */
export interface Submission {
  readonly event: Interaction;
}

export interface Refusal<T> {
  readonly item: T;
  readonly issues: readonly Issue[];
}

export interface Submitted<T> {
  readonly accepted: number;
  readonly duplicates: number;
  /** Items the gateway refused although they passed the local checks (a newer gateway, say). */
  readonly refused: readonly Refusal<T>[];
}

export interface GatewayClientOptions {
  /** Stamped on what this client posts to `/v1/interactions` as `source: http:<name>`. */
  readonly source: string;
  readonly retry?: RetryPolicy | undefined;
}

export class GatewayClient {
  readonly #target: GatewayTarget;
  readonly #retry: RetryPolicy;
  readonly #source: string;

  constructor(target: GatewayTarget, options: GatewayClientOptions) {
    this.#target = target;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#source = options.source;
  }

  /**
   * Sends items as one batch. Rows are checked locally with the gateway's own functions first, so
   * a 400 should not happen; when it does, the gateway names each refused item (`batch.3.value`):
   * those are set aside with their issues and the rest is sent again, so one bad row never holds
   * up the rest of its batch.
   */
  async submitBatch<T extends Submission>(items: readonly T[]): Promise<Submitted<T>> {
    const refused: Refusal<T>[] = [];
    let pending = items;
    while (pending.length > 0) {
      const outcome = await this.postBatch(pending.map((item) => item.event));
      if (outcome.ok) {
        return {
          accepted: outcome.counts.accepted,
          duplicates: outcome.counts.duplicates,
          refused,
        };
      }
      const byIndex = issuesByIndex(outcome.issues, pending.length);
      pending.forEach((item, index) => {
        const issues = byIndex.get(index);
        if (issues !== undefined) refused.push({ item, issues });
      });
      pending = pending.filter((_, index) => !byIndex.has(index));
    }
    return { accepted: 0, duplicates: 0, refused };
  }

  /**
   * `POST /v1/interactions` with `{ batch }`. A 400 comes back as data so the caller can set the
   * refused rows aside and resend the rest; any other refusal cannot be fixed row by row.
   */
  async postBatch(events: readonly Interaction[]): Promise<BatchOutcome> {
    const answer = await this.#postEvents(JSON.stringify({ batch: events }));
    if (answer.ok) return { ok: true, counts: answer.counts };
    if (answer.status === 400 && answer.error.issues.length > 0) {
      return { ok: false, issues: answer.error.issues };
    }
    throw refused(answer);
  }

  /** `POST /v1/interactions` with one event; every answer is returned for the caller to print. */
  postEvent(event: Interaction): Promise<GatewayAnswer<IngestResult>> {
    return this.#postEvents(JSON.stringify(event));
  }

  #postEvents(body: string): Promise<GatewayAnswer<IngestResult>> {
    return this.post('/v1/interactions', body, IngestResultSchema);
  }

  /**
   * POSTs a JSON body with the write key (plus `headers`), waiting out 409/429/503 as Retry-After
   * says and a gateway that cannot be reached, up to the policy's attempts. A success is read
   * with `counts`, the schema the gateway answers that route with.
   */
  async post<Counts>(
    path: string,
    body: string,
    counts: z.ZodType<Counts>,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<GatewayAnswer<Counts>> {
    let last = '';
    let unreachable = 0;
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(`${this.#target.url}${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${this.#target.key}`,
            [SOURCE_HEADER]: this.#source,
            ...headers,
          },
          body,
          signal: AbortSignal.timeout(this.#retry.requestTimeoutMs),
        });
      } catch (error) {
        last = describeFetchError(error);
        unreachable += 1;
        if (unreachable >= UNREACHABLE_ATTEMPTS || attempt === this.#retry.attempts) break;
        await sleep(UNREACHABLE_WAIT_MS);
        continue;
      }
      const answer = await readAnswer(response, counts);
      const wait = retryAfterMs(response.headers.get('retry-after'));
      if (answer.ok || !RETRY_STATUSES.has(response.status) || wait === undefined) return answer;
      last = `${answer.status} ${answer.error.code}: ${answer.error.message}`;
      if (attempt < this.#retry.attempts) await sleep(Math.min(wait, this.#retry.maxWaitMs));
      if (attempt === this.#retry.attempts) {
        throw new CliError(
          'GATEWAY_BUSY',
          `the gateway at ${this.#target.url} still answered ${last} after ${attempt} attempts`,
          { retriable: true },
        );
      }
    }
    throw new CliError(
      'GATEWAY_UNREACHABLE',
      `cannot reach the gateway at ${this.#target.url} (${last}); is \`rapport up\` running? --gateway names another`,
      { retriable: true },
    );
  }
}

async function readAnswer<Counts>(
  response: Response,
  counts: z.ZodType<Counts>,
): Promise<GatewayAnswer<Counts>> {
  const text = await response.text();
  const body = parseJson(text);
  const parsed = response.ok ? counts.safeParse(body) : undefined;
  if (parsed?.success) return { ok: true, status: response.status, counts: parsed.data };
  const error = serviceError(body) ?? {
    code: `HTTP_${response.status}`,
    message: `unexpected answer: ${text.slice(0, 200)}`,
    issues: [],
  };
  return { ok: false, status: response.status, error };
}

/** `Retry-After` in seconds (the gateway sends whole seconds; HTTP dates are not used). */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+(\.\d+)?$/.test(header.trim())) return undefined;
  return Number(header) * 1000;
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`.
  const cause: unknown = error.cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** A refusal that retrying or fixing single rows cannot cure: bad key, request too large, ... */
function refused(answer: Extract<GatewayAnswer<unknown>, { ok: false }>): CliError {
  return new CliError(
    'GATEWAY_REFUSED',
    `the gateway refused the request: ${answer.status} ${answer.error.code}: ${answer.error.message}`,
  );
}

const ITEM_PATH = /^batch\.(\d+)(?:\.(.*))?$/;

/** The gateway's issues per batch index, with the index taken off their paths. */
export function issuesByIndex(issues: readonly Issue[], size: number): Map<number, Issue[]> {
  const byIndex = new Map<number, Issue[]>();
  for (const issue of issues) {
    const match = ITEM_PATH.exec(issue.path);
    const index = Number(match?.[1] ?? Number.NaN);
    // An issue about the request as a whole would refuse every resend the same way.
    if (!(index < size)) {
      throw new CliError(
        'GATEWAY_REFUSED',
        `the gateway refused the batch: ${issue.path || '(body)'}: ${issue.message}`,
      );
    }
    const found = byIndex.get(index) ?? [];
    found.push({ path: match?.[2] ?? '', message: issue.message });
    byIndex.set(index, found);
  }
  return byIndex;
}
