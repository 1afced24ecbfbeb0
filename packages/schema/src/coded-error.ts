export interface CodedErrorOptions {
  /** Whether the same call can succeed later (a timeout, a server away): retried, else surfaced. */
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

/**
 * The one base of every error Rapport raises on purpose: a stable `code` to branch on, whether a
 * retry can help, and a message a person can act on. Activities turn it into a Temporal failure
 * of the same type; the CLI prints its message; services log it with its code.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly retriable: boolean;
  constructor(
    readonly code: Code,
    message: string,
    options: CodedErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** `instanceof` would narrow to `CodedError<any>`; this keeps the code a string. */
export function isCodedError(error: unknown): error is CodedError {
  return error instanceof CodedError;
}
