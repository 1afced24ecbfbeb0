import { isCodedError } from '@rapport/schema';
import { ApplicationFailure } from '@temporalio/common';

/**
 * What an activity throws so that Temporal retries exactly what can succeed on a retry: a coded
 * error keeps its code as the failure type and becomes non-retryable when it says so; anything
 * else is rethrown as is (retried, with the activity's back-off).
 */
export function activityFailure(error: unknown): unknown {
  if (!isCodedError(error)) return error;
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retriable,
    cause: error,
  });
}
