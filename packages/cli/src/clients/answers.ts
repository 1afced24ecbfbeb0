import { ErrorSchema, type ErrorBody } from '@rapport/schema';

/** What a Rapport service said went wrong: the `error` of the one error shape. */
export type ServiceError = ErrorBody['error'];

/**
 * The error shape as the CLI reads it: a body that leaves `issues` out has none, so the CLI still
 * shows the code and message it was given.
 */
const ErrorAnswerSchema = ErrorSchema.extend({
  error: ErrorSchema.shape.error.extend({
    issues: ErrorSchema.shape.error.shape.issues.default([]),
  }),
});

/** A body's JSON, or `undefined` when it is none (a proxy's HTML page, a cut-off answer). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The error a service answered with, or `undefined` when the body is not in the error shape. */
export function serviceError(body: unknown): ServiceError | undefined {
  const parsed = ErrorAnswerSchema.safeParse(body);
  return parsed.success ? parsed.data.error : undefined;
}
