import { INGEST_LIMITS as LIMITS, InteractionSchema, SOURCE_HEADER } from '@rapport/schema';
import { z } from 'zod';

const IngestResultSchema = z.object({
  accepted: z.number().int().describe('events published and acknowledged by Kafka'),
  duplicates: z.number().int().describe('events already accepted within the dedup window'),
});
const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});
const BatchSchema = z.object({ batch: z.array(InteractionSchema).min(1).max(LIMITS.batchEvents) });

const schema = (type: z.ZodType) => z.toJSONSchema(type, { target: 'openapi-3.0', io: 'input' });
const json = (ref: string) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${ref}` } },
});
const errors = Object.fromEntries(
  [
    ['400', 'invalid JSON or events; `issues` names every failing path'],
    ['401', 'missing or unknown write key, or a bad webhook signature'],
    ['403', 'a read key used to write'],
    [
      '413',
      `request over ${LIMITS.requestBytes / 1024} KB or an event over ${LIMITS.eventBytes / 1024} KB`,
    ],
    ['429', 'rate limit of the write key; see Retry-After'],
    ['503', 'Kafka did not acknowledge in time; nothing was accepted, retry (Retry-After)'],
  ].map(
    ([status, description]): [
      string,
      { description: string; content: ReturnType<typeof json> },
    ] => [status ?? '', { description: description ?? '', content: json('Error') }],
  ),
);

/** The gateway's OpenAPI 3.0 document, generated from the same zod schemas that validate. */
export function openApiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Rapport gateway',
      version: '1',
      description:
        'Ingests interaction events from any channel into Kafka. Answers 2xx only after Kafka acknowledged.',
    },
    components: {
      securitySchemes: {
        writeKey: { type: 'http', scheme: 'bearer' },
        segmentWriteKey: {
          type: 'http',
          scheme: 'basic',
          description: 'write key as user, empty password',
        },
      },
      schemas: {
        Interaction: schema(InteractionSchema),
        Batch: schema(BatchSchema),
        IngestResult: schema(IngestResultSchema),
        Error: schema(ErrorSchema),
      },
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
                'Names the sending tool; events are stamped `source: http:<value>` instead of `http`.',
              schema: { type: 'string', example: 'csv' },
            },
          ],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    { $ref: '#/components/schemas/Interaction' },
                    { $ref: '#/components/schemas/Batch' },
                  ],
                },
              },
            },
          },
          responses: {
            '202': { description: 'acknowledged by Kafka', content: json('IngestResult') },
            ...errors,
          },
        },
      },
      ...Object.fromEntries(
        ['track', 'identify', 'page', 'screen', 'group', 'alias', 'batch'].map((call) => [
          `/v1/${call}`,
          {
            post: {
              summary: `Segment-compatible ${call} call`,
              security: [{ segmentWriteKey: [] }],
              requestBody: {
                required: true,
                content: { 'application/json': { schema: { type: 'object' } } },
              },
              responses: {
                '200': { description: 'acknowledged by Kafka', content: json('IngestResult') },
                ...errors,
              },
            },
          },
        ]),
      ),
      '/v1/channels/{channel}': {
        post: {
          summary:
            'A provider webhook, mapped by the channel adapter; unmappable payloads are dead-lettered',
          parameters: [{ name: 'channel', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          responses: {
            '202': {
              description: 'acknowledged by Kafka (events or dead letter)',
              content: json('IngestResult'),
            },
            ...errors,
          },
        },
      },
    },
  };
}
