import type { Schema } from './components.js';

/** An answer in the error shape. */
export const errorAnswer = (description: string): Schema => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The `Retry-After` header of an answer that asks the client to come back later. */
export const retryAfter = (required: boolean) => ({
  'Retry-After': {
    required,
    description: 'seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  },
});

/** The error answers any route may give, as reusable responses: status, description, headers. */
const ERRORS = {
  BadRequest: [
    '400',
    '`INVALID_JSON`, `VALIDATION_FAILED` or `INVALID_CURSOR`: `issues` names every failing input',
  ],
  Unauthenticated: ['401', '`UNAUTHENTICATED`: the key is missing, malformed or unknown'],
  Forbidden: ['403', '`FORBIDDEN`: a key of another class (write, read, admin)'],
  NotFound: ['404', '`NOT_FOUND`: no such path'],
  MethodNotAllowed: [
    '405',
    '`METHOD_NOT_ALLOWED`: the path is served, not with this method',
    { Allow: { required: true, description: 'the methods served', schema: { type: 'string' } } },
  ],
  RequestTimeout: ['408', '`REQUEST_TIMEOUT`: the request was not received in time'],
  PayloadTooLarge: ['413', '`PAYLOAD_TOO_LARGE`: the body is over the limit'],
  UriTooLong: ['414', '`URI_TOO_LONG`: a path parameter longer than any valid value'],
  UnsupportedMediaType: ['415', '`UNSUPPORTED_MEDIA_TYPE`: the body is not `application/json`'],
  HeadersTooLarge: ['431', '`HEADERS_TOO_LARGE`: the request line and headers are over 16 KB'],
  RateLimited: [
    '429',
    '`RATE_LIMITED`: over the key’s rate; retry after `Retry-After` seconds',
    retryAfter(true),
  ],
  Internal: ['500', '`INTERNAL`: a fault of the service; the message says nothing more'],
  Unavailable: [
    '503',
    'a dependency is down, or `NOT_READY`: the service is still starting; retry later',
    retryAfter(false),
  ],
} as const satisfies Record<string, readonly [string, string, Schema?]>;

export type ErrorName = keyof typeof ERRORS;

/** `#/components/responses` of every document. */
export function errorResponses(): Record<string, Schema> {
  return Object.fromEntries(
    Object.entries(ERRORS).map(([name, [, description, headers]]) => [
      name,
      { ...errorAnswer(description), ...(headers && { headers }) },
    ]),
  );
}

/** An operation's `responses` entries for these errors. */
export const errors = (names: readonly ErrorName[]): Record<string, Schema> =>
  Object.fromEntries(
    names.map((name) => [ERRORS[name][0], { $ref: `#/components/responses/${name}` }]),
  );

/** What every route behind a key may answer besides its own statuses. */
export const KEYED_ERRORS: readonly ErrorName[] = [
  'BadRequest',
  'Unauthenticated',
  'Forbidden',
  'NotFound',
  'MethodNotAllowed',
  'RequestTimeout',
  'PayloadTooLarge',
  'UriTooLong',
  'HeadersTooLarge',
  'RateLimited',
  'Internal',
  'Unavailable',
];

/** A route that reads a body also refuses one of another media type. */
export const BODY_ERRORS: readonly ErrorName[] = [...KEYED_ERRORS, 'UnsupportedMediaType'];

/** A public route has no key to refuse and no body to read. */
export const PUBLIC_ERRORS: readonly ErrorName[] = [
  'MethodNotAllowed',
  'RequestTimeout',
  'HeadersTooLarge',
  'Internal',
];
