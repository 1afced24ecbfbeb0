import { ApplicationFailure } from '@temporalio/common';

/** The shape every Rapport error class has: a stable code, and whether a retry can help. */
interface CodedError extends Error {
  readonly code: string;
  readonly retriable: boolean;
}

function isCoded(error: unknown): error is CodedError {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    'retriable' in error &&
    typeof error.retriable === 'boolean'
  );
}

/**
 * What an activity throws so that Temporal retries exactly what can succeed on a retry: a coded
 * error keeps its code as the failure type and becomes non-retryable when it says so; anything
 * else is rethrown as is (retried, with the activity's back-off).
 */
export function activityFailure(error: unknown): unknown {
  if (!isCoded(error)) return error;
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retriable,
    cause: error,
  });
}
