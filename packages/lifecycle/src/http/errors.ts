import { CodedError, ErrorSchema, type ErrorBody, type Issue } from '@rapport/schema';

/** The one error shape every Rapport HTTP service answers with, and how errors map onto it. */

// The shape is part of the wire contract in @rapport/schema, where clients read it too.
export { ErrorSchema, type ErrorBody };
export type HttpIssue = Issue;

/**
 * An answer a service gives on purpose. Its JSON is the one error shape every Rapport HTTP
 * service uses: `{ "error": { "code", "message", "issues": [{ "path", "message" }] } }`.
 */
export class ApiError<Code extends string = string> extends CodedError<Code> {
  constructor(
    readonly status: number,
    code: Code,
    message: string,
    readonly issues: readonly HttpIssue[] = [],
    /** Seconds, sent as `Retry-After` on 429 and 503 so well-behaved clients back off. */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message, { retriable: retryAfterSeconds !== undefined });
  }

  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, issues: [...this.issues] } };
  }
}

/** A Node or Fastify error: what the framework raises on its own (bad body, bad URL, …). */
interface FrameworkError extends Error {
  readonly code?: string;
  readonly statusCode?: number;
}

/**
 * Every error in the one shape: answers thrown on purpose pass as they are; the framework's own
 * (body too large, wrong media type, malformed URL) get a code and a message of ours; anything
 * else is a 500 that says nothing about why (the log has it).
 */
export function toApiError(error: unknown, limits: { readonly bodyBytes: number }): ApiError {
  if (error instanceof ApiError) return error as ApiError;
  const { code, statusCode } = (error ?? {}) as FrameworkError;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        413,
        'PAYLOAD_TOO_LARGE',
        `the request is larger than ${limits.bodyBytes / 1024} KB`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'send a JSON body with `Content-Type: application/json`',
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'INVALID_JSON', 'the body is empty; send a JSON document');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError(400, 'INVALID_REQUEST', 'Content-Length does not match the body');
    case 'FST_ERR_BAD_URL':
      return new ApiError(400, 'INVALID_URL', 'the URL is not valid percent-encoded UTF-8');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(414, 'URI_TOO_LONG', 'a path parameter is longer than any valid value');
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return new ApiError(statusCode, 'INVALID_REQUEST', 'the request could not be read');
  }
  return new ApiError(500, 'INTERNAL', 'internal error');
}
