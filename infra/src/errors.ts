export type InfraErrorCode =
  'INFRA_FETCH_FAILED' | 'INFRA_START_FAILED' | 'INFRA_UNREACHABLE' | 'INFRA_COMPOSE_FAILED';

/**
 * A piece of infrastructure that could not be fetched, started or reached. The message always
 * says which service, what was tried, and where to look (its log), because the person reading it
 * is usually someone running `rapport up` for the first time.
 */
export class InfraError extends Error {
  readonly retriable: boolean;
  constructor(
    readonly code: InfraErrorCode,
    readonly service: string,
    message: string,
    options: { readonly cause?: unknown; readonly retriable?: boolean } = {},
  ) {
    super(`${service}: ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'InfraError';
    this.retriable = options.retriable ?? false;
  }
}
