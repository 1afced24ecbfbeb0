import { SEGMENT_CALL_TYPES, segmentBatchSchema, segmentCallSchema } from '@rapport/adapters';
import {
  ChannelSchema,
  INGEST_LIMITS as LIMITS,
  InteractionSchema,
  SOURCE_HEADER,
} from '@rapport/schema';
import { z } from 'zod';

// The same shell answers for the gateway and the query API, so the error shape, the error
// answers, the ops routes and the zod → OpenAPI conversion below are the API document's too
// (services/api/src/openapi.ts); keep the two alike.

type Schema = Record<string, unknown>;

const isRecord = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Unicode property escapes as classes of code points: schemathesis (and most generators) read
 * patterns with Python's `re`, which has no `\p{…}`. A JSON Schema string is a sequence of code
 * points, never a lone surrogate, so "no surrogate" (`\P{Cs}`) holds for every string.
 */
const WITHOUT_PROPERTY: Readonly<Record<string, string>> = {
  Cc: '[^\\x00-\\x1f\\x7f-\\x9f]',
  Cs: '[\\s\\S]',
};

function portablePattern(pattern: string): string {
  return pattern.replace(/\\([pP])\{(\w+)\}/g, (escape, kind: string, name: string) => {
    const spelled = kind === 'P' ? WITHOUT_PROPERTY[name] : undefined;
    if (spelled === undefined) throw new Error(`openapi: no class for ${escape} in ${pattern}`);
    return spelled;
  });
}

/**
 * Zod schemas as OpenAPI 3.0 components. zod puts what a schema reuses (the recursive JSON value
 * of `properties`) under its own `definitions`, which OpenAPI 3.0 does not read: they become
 * components of their own, named after the schema, and the references follow.
 */
class Components {
  readonly schemas: Record<string, Schema> = {};

  /** Registers `type` under `name` and answers a reference to it. */
  add(name: string, type: z.ZodType, io: 'input' | 'output'): Schema {
    this.schemas[name] = this.inline(type, io, name);
    return { $ref: `#/components/schemas/${name}` };
  }

  /** `type` as an OpenAPI 3.0 schema, its definitions registered as `<owner>.<definition>`. */
  inline(type: z.ZodType, io: 'input' | 'output', owner: string): Schema {
    const { definitions, ...schema } = z.toJSONSchema(type, { target: 'openapi-3.0', io });
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!isRecord(node)) return node;
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => {
          if (key === '$ref' && typeof value === 'string') {
            return [key, value.replace('#/definitions/', `#/components/schemas/${owner}.`)];
          }
          if (key === 'pattern' && typeof value === 'string') return [key, portablePattern(value)];
          return [key, rewrite(value)];
        }),
      );
    };
    for (const [name, definition] of Object.entries(definitions ?? {})) {
      this.schemas[`${owner}.${name}`] = rewrite(definition) as Schema;
    }
    return rewrite(schema) as Schema;
  }
}

/** The one error shape of every answer that is not a success. */
const ErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('stable, machine-readable: `VALIDATION_FAILED`, `RATE_LIMITED`, …'),
    message: z.string().describe('for people: what went wrong and what to do'),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .describe('every failing input, by dotted path (`batch.3.occurredAt`); often empty'),
  }),
});

const ReadinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z
    .record(z.string(), z.string())
    .optional()
    .describe("each dependency's `ok` or what failed; shown to admin keys only"),
});

const retryAfter = (required: boolean) => ({
  'Retry-After': {
    required,
    description: 'seconds to wait before retrying',
    schema: { type: 'integer', minimum: 0 },
  },
});

/** The error answers every route may give, as reusable responses (`#/components/responses`). */
const ERROR_RESPONSES = {
  BadRequest: [
    '400',
    '`INVALID_JSON`, `VALIDATION_FAILED` or `INVALID_CURSOR`; `issues` names every failing input',
  ],
  Unauthenticated: ['401', '`UNAUTHENTICATED`: the key is missing, malformed or unknown'],
  Forbidden: ['403', '`FORBIDDEN`: a key of another class (read, write, admin)'],
  NotFound: ['404', '`NOT_FOUND`: no such path'],
  MethodNotAllowed: ['405', '`METHOD_NOT_ALLOWED`: the path is served, not with this method'],
  RequestTimeout: ['408', '`REQUEST_TIMEOUT`: the request was not received in time'],
  PayloadTooLarge: ['413', '`PAYLOAD_TOO_LARGE`: the request body is over the limit'],
  UnsupportedMediaType: ['415', '`UNSUPPORTED_MEDIA_TYPE`: the body is not `application/json`'],
  RateLimited: ['429', '`RATE_LIMITED`: over the key’s rate; retry after `Retry-After` seconds'],
  Internal: ['500', '`INTERNAL`: a fault of the service; the message says nothing more'],
  Unavailable: ['503', 'a dependency is down; retry later'],
} as const;
type ErrorResponse = keyof typeof ERROR_RESPONSES;

const errorContent = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** Headers some error answers carry. */
const ERROR_HEADERS: Partial<Record<ErrorResponse, Schema>> = {
  MethodNotAllowed: {
    Allow: {
      required: true,
      description: 'the methods the path serves',
      schema: { type: 'string' },
    },
  },
  RateLimited: retryAfter(true),
  Unavailable: retryAfter(false),
};

function errorResponses(): Record<string, Schema> {
  return Object.fromEntries(
    Object.entries(ERROR_RESPONSES).map(([name, [, description]]) => {
      const headers = ERROR_HEADERS[name as ErrorResponse];
      return [name, { ...errorContent(description), ...(headers && { headers }) }];
    }),
  );
}

const refs = (names: readonly ErrorResponse[]) =>
  Object.fromEntries(
    names.map((name) => [ERROR_RESPONSES[name][0], { $ref: `#/components/responses/${name}` }]),
  );

/** What every route behind a key may answer besides its own statuses. */
const KEYED: readonly ErrorResponse[] = [
  'BadRequest',
  'Unauthenticated',
  'Forbidden',
  'NotFound',
  'MethodNotAllowed',
  'RequestTimeout',
  'PayloadTooLarge',
  'RateLimited',
  'Internal',
  'Unavailable',
];
/** A route with a body also refuses other media types. */
const KEYED_WITH_BODY: readonly ErrorResponse[] = [...KEYED, 'UnsupportedMediaType'];

/** `/healthz`, `/readyz`, `/metrics` and `/openapi.json`, alike in both services. */
function opsPaths(components: Components): Schema {
  const publicErrors = refs(['MethodNotAllowed', 'RequestTimeout', 'Internal']);
  const readiness = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Readiness' } } },
  });
  components.add('Readiness', ReadinessSchema, 'output');
  return {
    '/healthz': {
      get: {
        summary: 'Liveness: the process answers',
        security: [],
        responses: {
          '200': {
            description: 'alive',
            content: {
              'application/json': {
                schema: components.inline(
                  z.object({ status: z.literal('ok') }),
                  'output',
                  'Health',
                ),
              },
            },
          },
          ...publicErrors,
        },
      },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: every dependency answers; `checks` only for an admin key',
        security: [{}, { adminKey: [] }],
        responses: {
          '200': readiness('ready'),
          ...publicErrors,
          '503': readiness('not ready'),
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        security: [{ adminKey: [] }],
        responses: {
          '200': {
            description: 'the text exposition format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...refs(KEYED),
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: {
          '200': {
            description: 'OpenAPI 3.0',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...publicErrors,
        },
      },
    },
  };
}

const json = (schema: Schema) => ({ 'application/json': { schema } });

/**
 * Segment's calls name a user, `userId` or `anonymousId` (not null): a refinement, which JSON
 * Schema cannot read from zod, so it is stated again as a union every call must also match.
 */
const providerId = segmentCallSchema.options[0].shape.userId.unwrap().unwrap();
const Identified = z.union([
  z.object({ userId: providerId }),
  z.object({ anonymousId: providerId }),
]);
const SegmentBatchSchema = segmentBatchSchema.extend({
  batch: z.array(z.intersection(segmentCallSchema, Identified)),
});

/** A call on its own endpoint (`/v1/track`): the endpoint names the type, whatever the body says. */
function segmentCall(type: (typeof SEGMENT_CALL_TYPES)[number]): z.ZodType {
  const variants: readonly z.ZodObject<{ type: z.ZodLiteral<string> }>[] =
    segmentCallSchema.options;
  const variant = variants.find((option) => option.shape.type.value === type);
  if (variant === undefined) throw new Error(`openapi: no Segment call of type ${type}`);
  return z.intersection(variant.omit({ type: true }), Identified);
}

/** The gateway's OpenAPI 3.0 document, generated from the same zod schemas that validate. */
export function openApiDocument() {
  const components = new Components();
  const ingestResult = {
    accepted: z.number().int().min(0).describe('events published and acknowledged by Kafka'),
    duplicates: z.number().int().min(0).describe('events already accepted within the dedup window'),
  };
  const schemas = {
    Interaction: components.add('Interaction', InteractionSchema, 'input'),
    Batch: components.add(
      'Batch',
      z.object({ batch: z.array(InteractionSchema).min(1).max(LIMITS.batchEvents) }),
      'input',
    ),
    IngestResult: components.add('IngestResult', z.strictObject(ingestResult), 'output'),
    SegmentResult: components.add(
      'SegmentResult',
      z.strictObject({ success: z.literal(true), ...ingestResult }),
      'output',
    ),
    SegmentBatch: components.add('SegmentBatch', SegmentBatchSchema, 'input'),
    ChannelResult: components.add(
      'ChannelResult',
      z.strictObject({
        ...ingestResult,
        deadLettered: z
          .number()
          .int()
          .min(0)
          .describe('1 when the payload could not be mapped and went to the dead-letter topic'),
      }),
      'output',
    ),
  };
  components.add('Error', ErrorSchema, 'output');
  const ingested = (status: string, description: string, result: Schema) => ({
    [status]: { description, content: json(result) },
    '409': errorContent('`IN_FLIGHT`: another request is accepting some of these events; retry'),
    '422': errorContent('`KAFKA_REJECTED`: Kafka refused the records; a retry will not help'),
  });

  return {
    openapi: '3.0.3',
    info: {
      title: 'Rapport gateway',
      version: '1',
      description:
        'Ingests interaction events from any channel into Kafka. Answers 2xx only after Kafka acknowledged; `503 KAFKA_UNAVAILABLE` (with Retry-After) when it did not in time, and nothing was accepted.',
    },
    components: {
      securitySchemes: {
        writeKey: { type: 'http', scheme: 'bearer' },
        segmentWriteKey: {
          type: 'http',
          scheme: 'basic',
          description: 'the write key as user, an empty password (what Segment clients send)',
        },
        adminKey: { type: 'http', scheme: 'bearer' },
      },
      schemas: components.schemas,
      responses: errorResponses(),
    },
    paths: {
      '/v1/interactions': {
        post: {
          summary: 'Ingest one canonical event or a batch',
          security: [{ writeKey: [] }],
          parameters: [
            {
              name: SOURCE_HEADER,
              in: 'header',
              required: false,
              description:
                'Names the sending tool, one of the names in RAPPORT_CLIENT_SOURCES (e.g. `csv`); its events are stamped `source: http:<name>` instead of `http`.',
              schema: { type: 'string', example: 'csv' },
            },
          ],
          requestBody: {
            required: true,
            content: json({ oneOf: [schemas.Interaction, schemas.Batch] }),
          },
          responses: {
            ...ingested('202', 'acknowledged by Kafka', schemas.IngestResult),
            ...refs(KEYED_WITH_BODY),
          },
        },
      },
      ...Object.fromEntries(
        [...SEGMENT_CALL_TYPES, 'batch' as const].map((call) => [
          `/v1/${call}`,
          {
            post: {
              summary: `Segment-compatible ${call} call`,
              security: [{ segmentWriteKey: [] }, { writeKey: [] }],
              requestBody: {
                required: true,
                content: json(
                  call === 'batch'
                    ? schemas.SegmentBatch
                    : components.inline(segmentCall(call), 'input', `Segment.${call}`),
                ),
              },
              responses: {
                ...ingested('200', 'acknowledged by Kafka', schemas.SegmentResult),
                ...refs(KEYED_WITH_BODY),
              },
            },
          },
        ]),
      ),
      '/v1/channels/{channel}': {
        post: {
          summary:
            'A provider webhook, mapped by the channel adapter; a payload that cannot be mapped is dead-lettered and still answered 202',
          description:
            'A channel configured with a secret (RAPPORT_CHANNEL_SECRETS) takes its provider’s signature over the body instead of a key; a missing or wrong one is `401 BAD_SIGNATURE`.',
          security: [{ writeKey: [] }],
          parameters: [
            {
              name: 'channel',
              in: 'path',
              required: true,
              schema: components.inline(ChannelSchema, 'input', 'Channel'),
            },
          ],
          requestBody: { required: true, content: json({}) },
          responses: {
            ...ingested(
              '202',
              'acknowledged by Kafka (events or the dead letter)',
              schemas.ChannelResult,
            ),
            ...refs(KEYED_WITH_BODY),
            '404': errorContent(
              '`UNKNOWN_CHANNEL`: no adapter for this channel; `NOT_FOUND`: no such path',
            ),
          },
        },
      },
      ...opsPaths(components),
    },
  };
}
