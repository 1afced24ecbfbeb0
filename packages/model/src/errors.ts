import { CodedError, type Issue } from '@rapport/schema';

export type ModelErrorCode =
  /** The parameters (half-lives, thresholds, catalog overrides) do not validate. */
  | 'MODEL_PARAMS_INVALID'
  /** A serialized state is not one this version can read. */
  | 'MODEL_STATE_INVALID'
  /** An event time or read time is not an instant: the caller skipped parsing. */
  | 'MODEL_INPUT_INVALID';

/**
 * None of these heal by retrying: the same params, bytes or event fail the same way on replay,
 * so a workflow should fail the task visibly and a consumer should dead-letter the input.
 */
export class ModelError extends CodedError<ModelErrorCode> {
  constructor(
    code: ModelErrorCode,
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(code, message);
  }
}

/** An error listing every issue, for the log line and for the caller that wants them as data. */
export function invalid(
  code: ModelErrorCode,
  summary: string,
  issues: readonly Issue[],
): ModelError {
  const detail = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
  return new ModelError(code, `${summary}: ${detail}`, issues);
}
