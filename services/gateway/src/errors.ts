import type { Refusal } from '@rapport/adapters/node';
import type { Issue } from '@rapport/schema';
import { ApiError as HttpApiError } from '@rapport/lifecycle';

/** What the gateway's routes refuse with; keys, bodies and unknown paths are the shell's. */
export type ApiErrorCode =
  | 'VALIDATION_FAILED'
  | Refusal
  | 'UNKNOWN_CHANNEL'
  | 'NOT_FOUND'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'BATCH_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'IN_FLIGHT'
  | 'CUSTOMER_ERASED'
  | 'KAFKA_UNAVAILABLE'
  | 'KAFKA_REJECTED'
  | 'REDIS_UNAVAILABLE';

/** An answer the gateway gives on purpose, in the shared error shape (see @rapport/lifecycle). */
export class ApiError extends HttpApiError<ApiErrorCode> {}

/** Prefixes every issue's path, so a batch item's problem reads `batch.3.occurredAt`. */
export const underPath = (prefix: string, issues: readonly Issue[]): Issue[] =>
  issues.map((issue) => ({
    path: [prefix, issue.path].filter((part) => part !== '').join('.'),
    message: issue.message,
  }));

/**
 * A failed publish in the one error shape: a retriable failure (timeout, no broker) is a 503 the
 * client retries; records the broker refused outright (too large) would fail again, so 422.
 */
export const publishFailed = (what: string, cause: unknown): ApiError => {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const retriable = !(
    typeof cause === 'object' &&
    cause !== null &&
    'retriable' in cause &&
    cause.retriable === false
  );
  return retriable
    ? new ApiError(
        503,
        'KAFKA_UNAVAILABLE',
        `Kafka did not acknowledge ${what} in time; nothing was accepted, retry the same request (${reason})`,
        [],
        5,
      )
    : new ApiError(
        422,
        'KAFKA_REJECTED',
        `Kafka refused ${what}; nothing was accepted and a retry will not help (${reason})`,
      );
};

/**
 * Redis did not answer the admission (rate budget, dedup claims, identity routes): nothing was
 * claimed for good or published, so the client retries the same request.
 */
export const redisUnavailable = (): ApiError =>
  new ApiError(
    503,
    'REDIS_UNAVAILABLE',
    'Redis did not answer; nothing was accepted, retry the same request',
    [],
    1,
  );
