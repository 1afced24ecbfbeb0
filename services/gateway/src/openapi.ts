import {
  builtInAdapters,
  SEGMENT_CALL_TYPES,
  segmentBatchSchema,
  segmentCallSchema,
  type SegmentCallType,
} from '@rapport/adapters';
import { PROVIDERS } from '@rapport/adapters/node';
import {
  BODY_ERRORS,
  Components,
  errorAnswer,
  errors,
  KEYED_ERRORS,
  serviceDocument,
  type Schema,
} from '@rapport/lifecycle';
import {
  ChannelResultSchema,
  ChannelSchema,
  IdentityLinkBodySchema,
  IdentityLinkResultSchema,
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

/** An ingestion route: a JSON body (or a form, for webhooks) in, its result once Kafka acknowledged. */
function ingestion(operation: {
  readonly summary: string;
  readonly description?: string;
  readonly security: readonly Schema[];
  readonly parameters?: readonly Schema[];
  readonly body: Schema;
  readonly form?: Schema;
  readonly status: '200' | '202';
  readonly result: Schema;
  readonly responses?: Readonly<Record<string, Schema>>;
}) {
  const { body, form, status, result, responses, ...described } = operation;
  const forms = form === undefined ? {} : { 'application/x-www-form-urlencoded': { schema: form } };
  return {
    post: {
      ...described,
      requestBody: { required: true, content: { ...json(body), ...forms } },
      responses: {
        [status]: { description: 'acknowledged by Kafka', content: json(result) },
        ...errors(BODY_ERRORS),
        '409': errorAnswer('`IN_FLIGHT`: another request is accepting some of these events; retry'),
        '422': errorAnswer(
          '`KAFKA_REJECTED`: Kafka refused the records, a retry will not help; `CUSTOMER_ERASED`: an event (or link) names an erased customer, each named in `issues`, and nothing was accepted',
        ),
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
  const identityLink = components.add('IdentityLink', IdentityLinkBodySchema, 'input');
  const identityLinked = components.add('IdentityLinkResult', IdentityLinkResultSchema, 'output');
  const channelParameter = {
    name: 'channel',
    in: 'path',
    required: true,
    description: `the channel’s name: built in, ${builtInAdapters.map((adapter) => adapter.channel).join(', ')}; the channels file (RAPPORT_CHANNELS_FILE) adds providers’ (${PROVIDERS.map((provider) => provider.name).join(', ')}), mapping files (RAPPORT_CHANNEL_MAPPINGS_DIR) declarative ones`,
    schema: components.inline(ChannelSchema, 'input', 'Channel'),
  };

  return serviceDocument({
    title: 'Rapport gateway',
    description:
      'Ingests interaction events from any channel into Kafka. Answers 2xx only once Kafka acknowledged; `503 KAFKA_UNAVAILABLE` when it did not in time, `503 REDIS_UNAVAILABLE` when Redis did not answer the admission, and then nothing was accepted.',
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
      '/v1/identities': ingestion({
        summary: 'Say that two ids are one person: `from` is merged into `into`',
        description:
          'The link is decided (of two links racing in opposite directions, the first decides), published as a `profile.merged` event of the survivor and answered once Kafka acknowledged it. From then on events of `from` are routed to the survivor, and the survivor’s record, workflow and follow-ups hold both. The same link again, or its reverse, answers `merged: false`.',
        security: [{ writeKey: [] }],
        body: identityLink,
        status: '200',
        result: identityLinked,
      }),
      '/v1/channels/{channel}': {
        ...ingestion({
          summary:
            'A provider webhook, verified by the channel’s scheme and mapped by its adapter; a payload it cannot map is dead-lettered, and answered 202 all the same',
          description: [
            'A channel with a verification scheme (the channels file, RAPPORT_CHANNELS_FILE, or a secret in RAPPORT_CHANNEL_SECRETS) is authenticated by its provider’s signature over the body exactly as sent, instead of a key; any other channel takes a write key.',
            'The provider’s event id is the eventId, deduplicated per channel: a retry is answered `duplicates`. A copy of a signed request within its tolerance is answered as duplicates and publishes nothing.',
            'A provider’s signed endpoint check (Slack’s `url_verification`) is answered as the provider expects instead of being mapped.',
          ].join(' '),
          security: [{ writeKey: [] }],
          parameters: [channelParameter],
          body: {},
          form: { type: 'object', additionalProperties: { type: 'string' } },
          status: '202',
          result: channelResult,
          responses: {
            '401': errorAnswer(
              '`UNAUTHENTICATED` (a channel without a scheme, and no write key), `MISSING_SIGNATURE`, `BAD_SIGNATURE` (wrong, malformed, or the body changed) or `STALE_SIGNATURE` (signed longer ago, or further ahead, than the scheme’s tolerance); never echoes a signature',
            ),
            '404': errorAnswer('`UNKNOWN_CHANNEL`: no channel of this name'),
            '415': errorAnswer(
              '`UNSUPPORTED_MEDIA_TYPE`: neither `application/json` nor `application/x-www-form-urlencoded`',
            ),
          },
        }),
        get: {
          summary: 'A provider’s endpoint check (Meta’s `hub.challenge`), answered as it expects',
          description:
            'Only channels whose scheme defines an unsigned check answer GET; the scheme authenticates it (Meta: the verify token). On any other channel, or for a request that is no such check, `404 NOT_FOUND`.',
          security: [{ writeKey: [] }],
          parameters: [channelParameter],
          responses: {
            '200': {
              description: 'the provider’s expected answer, verbatim (Meta: the challenge)',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...errors(KEYED_ERRORS),
            '404': errorAnswer(
              '`UNKNOWN_CHANNEL`: no channel of this name; `NOT_FOUND`: no endpoint check to answer',
            ),
          },
        },
      },
    },
  });
}
