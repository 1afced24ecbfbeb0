import {
  builtInAdapters,
  SEGMENT_CALL_TYPES,
  segmentBatchSchema,
  segmentCallSchema,
  type SegmentCallType,
} from '@rapport/adapters';
import {
  BODY_ERRORS,
  Components,
  errorAnswer,
  errors,
  serviceDocument,
  type Schema,
} from '@rapport/lifecycle';
import {
  ChannelResultSchema,
  ChannelSchema,
  INGEST_LIMITS as LIMITS,
  IngestResultSchema,
  InteractionSchema,
  SegmentResultSchema,
  SOURCE_HEADER,
} from '@rapport/schema';
import { z } from 'zod';

const json = (schema: Schema) => ({ 'application/json': { schema } });

/** Every ingestion route takes one item or `{ "batch": [...] }` of 1 to 2,500. */
const batchOf = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(LIMITS.batchEvents);

/**
 * Segment's calls name a user, `userId` or `anonymousId` (not null): a refinement, which JSON
 * Schema cannot read from zod, so it is stated again as a union every call also matches.
 */
const providerId = segmentCallSchema.options[0].shape.userId.unwrap().unwrap();
const Identified = z.union([
  z.object({ userId: providerId }),
  z.object({ anonymousId: providerId }),
]);

/** A call on its own endpoint (`/v1/track`): the endpoint names the type, whatever the body says. */
function segmentCall(type: SegmentCallType): z.ZodType {
  const variants: readonly z.ZodObject<{ type: z.ZodLiteral<string> }>[] =
    segmentCallSchema.options;
  const variant = variants.find((option) => option.shape.type.value === type);
  if (variant === undefined) throw new Error(`openapi: no Segment call of type ${type}`);
  return z.intersection(variant.omit({ type: true }), Identified);
}

/** An ingestion route: a JSON body in, its result once Kafka acknowledged. */
function ingestion(operation: {
  readonly summary: string;
  readonly description?: string;
  readonly security: readonly Schema[];
  readonly parameters?: readonly Schema[];
  readonly body: Schema;
  readonly status: '200' | '202';
  readonly result: Schema;
  readonly responses?: Readonly<Record<string, Schema>>;
}) {
  const { body, status, result, responses, ...described } = operation;
  return {
    post: {
      ...described,
      requestBody: { required: true, content: json(body) },
      responses: {
        [status]: { description: 'acknowledged by Kafka', content: json(result) },
        ...errors(BODY_ERRORS),
        '409': errorAnswer('`IN_FLIGHT`: another request is accepting some of these events; retry'),
        '422': errorAnswer('`KAFKA_REJECTED`: Kafka refused the records; a retry will not help'),
        ...responses,
      },
    },
  };
}

/** The gateway's OpenAPI 3.0 document, generated from the same zod schemas that validate. */
export function openApiDocument() {
  const components = new Components();
  const interaction = components.add('Interaction', InteractionSchema, 'input');
  const batch = components.add('Batch', z.object({ batch: batchOf(InteractionSchema) }), 'input');
  const ingested = components.add('IngestResult', IngestResultSchema, 'output');
  const segmentBatch = components.add(
    'SegmentBatch',
    segmentBatchSchema.extend({ batch: batchOf(z.intersection(segmentCallSchema, Identified)) }),
    'input',
  );
  const segmentResult = components.add('SegmentResult', SegmentResultSchema, 'output');
  const channelResult = components.add('ChannelResult', ChannelResultSchema, 'output');

  return serviceDocument({
    title: 'Rapport gateway',
    description:
      'Ingests interaction events from any channel into Kafka. Answers 2xx only once Kafka acknowledged; `503 KAFKA_UNAVAILABLE` when it did not in time, and nothing was accepted.',
    securitySchemes: {
      writeKey: { type: 'http', scheme: 'bearer', description: 'a write key (RAPPORT_WRITE_KEYS)' },
      segmentWriteKey: {
        type: 'http',
        scheme: 'basic',
        description: 'a write key as user and an empty password, as Segment’s clients send it',
      },
    },
    components,
    paths: {
      '/v1/interactions': ingestion({
        summary: 'Ingest one canonical event or a batch',
        security: [{ writeKey: [] }],
        parameters: [
          {
            name: SOURCE_HEADER,
            in: 'header',
            required: false,
            description:
              'The sending tool, one of RAPPORT_CLIENT_SOURCES (`csv`, …): its events are stamped `source: http:<name>` instead of `http`; any other name is a 400.',
            schema: { type: 'string', example: 'csv' },
          },
        ],
        body: { oneOf: [interaction, batch] },
        status: '202',
        result: ingested,
      }),
      ...Object.fromEntries(
        [...SEGMENT_CALL_TYPES, 'batch' as const].map((call) => [
          `/v1/${call}`,
          ingestion({
            summary: `Segment-compatible ${call} call`,
            security: [{ segmentWriteKey: [] }, { writeKey: [] }],
            body:
              call === 'batch'
                ? segmentBatch
                : components.inline(segmentCall(call), 'input', `Segment.${call}`),
            status: '200',
            result: segmentResult,
          }),
        ]),
      ),
      '/v1/channels/{channel}': ingestion({
        summary:
          'A provider webhook, mapped by the channel’s adapter; a payload it cannot map is dead-lettered, and answered 202 all the same',
        description:
          'A channel with a secret (RAPPORT_CHANNEL_SECRETS) is authenticated by its provider’s signature over the body instead of a key: a missing or wrong one is `401 BAD_SIGNATURE`.',
        security: [{ writeKey: [] }],
        parameters: [
          {
            name: 'channel',
            in: 'path',
            required: true,
            description: `built in: ${builtInAdapters.map((adapter) => adapter.channel).join(', ')}; mapping files (RAPPORT_CHANNEL_MAPPINGS_DIR) add more`,
            schema: components.inline(ChannelSchema, 'input', 'Channel'),
          },
        ],
        body: {},
        status: '202',
        result: channelResult,
        responses: {
          '404': errorAnswer('`UNKNOWN_CHANNEL`: no adapter for this channel'),
        },
      }),
    },
  });
}
