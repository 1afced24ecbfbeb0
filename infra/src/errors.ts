import { CodedError, type CodedErrorOptions } from '@rapport/schema';

export type InfraErrorCode =
  | 'INFRA_FETCH_FAILED'
  | 'INFRA_START_FAILED'
  | 'INFRA_UNREACHABLE'
  | 'INFRA_COMPOSE_FAILED'
  /** A port rapport would start a server on is held by a process it did not start. */
  | 'INFRA_PORT_IN_USE';

/**
 * A piece of infrastructure that could not be fetched, started or reached. The message always
 * says which service, what was tried, and where to look (its log), because the person reading it
 * is usually someone running `rapport up` for the first time.
 */
export class InfraError extends CodedError<InfraErrorCode> {
  constructor(
    code: InfraErrorCode,
    readonly service: string,
    message: string,
    options: CodedErrorOptions = {},
  ) {
    super(code, `${service}: ${message}`, options);
  }
}
