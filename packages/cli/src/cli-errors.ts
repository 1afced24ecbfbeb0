import { CodedError } from '@rapport/schema';

export type CliErrorCode =
  /** Wrong flags or arguments: the command prints its usage and exits 2. */
  | 'USAGE'
  /** A mapping file that does not parse, or a CSV header the mapping cannot use. */
  | 'INPUT_INVALID'
  /** The gateway could not be reached, even after retries. */
  | 'GATEWAY_UNREACHABLE'
  /** The gateway kept answering 429/503 (rate limit, Kafka down) after every retry. */
  | 'GATEWAY_BUSY'
  /** The gateway refused a request in a way a retry cannot fix (bad key, request too large). */
  | 'GATEWAY_REFUSED'
  /** Rejected rows could not be dead-lettered (their lines are in the rejects file). */
  | 'DLQ_UNAVAILABLE'
  /** The query API could not be reached. */
  | 'API_UNREACHABLE'
  /** The query API refused the request (bad key, unknown customer) or answered unexpectedly. */
  | 'API_REFUSED'
  /** Temporal did not answer (`rapport workflow` asks it directly). */
  | 'TEMPORAL_UNREACHABLE'
  /** The customer has no engagement workflow. */
  | 'WORKFLOW_NOT_FOUND';

/** An expected failure of a `rapport` command: printed as its message, exit code 1 (2 for usage). */
export class CliError extends CodedError<CliErrorCode> {}

export const usageError = (message: string) => new CliError('USAGE', message);
