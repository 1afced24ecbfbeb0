import {
  BODY_ERRORS,
  Components,
  errorAnswer,
  errors,
  KEYED_ERRORS,
  retryAfter,
  serviceDocument,
  type Schema,
} from '@rapport/lifecycle';
import {
  ChangeSchema,
  CustomerListSchema,
  CustomerViewSchema,
  HistorySchema,
  SummarySchema,
  TimelineSchema,
} from '@rapport/read-model';
import { ErasureReceiptSchema, FollowUpBodySchema, FollowUpRequestedSchema } from '@rapport/schema';
import { CustomerWorkflowSchema, LATEST_FOLLOW_UPS } from '@rapport/workflows/definitions';
import { z } from 'zod';
import { POSITION } from './stream-position.js';
import { ListQuerySchema } from './list.js';
import {
  CustomerParamsSchema,
  FollowUpQuerySchema,
  HistoryQuerySchema,
  ReadQuerySchema,
  StreamQuerySchema,
  TimelineQuerySchema,
  WorkflowQuerySchema,
} from './queries.js';

const json = (schema: Schema) => ({ 'application/json': { schema } });

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  at: 'read at this instant instead of now (decay applied up to it)',
  status: 'any of these statuses at the request’s instant',
  stage: 'any of these lifecycle stages at the request’s instant',
  channel: 'customers who interacted on this channel (catalog channels; others are `*`)',
  sort: '`at_risk_at`: soonest predicted crossing into at risk first (not for dormant customers); `dormant_at`: by when silence makes them dormant; `-` reverses',
  limit: 'how many at most',
  cursor: 'the previous page’s `nextCursor`, for the same filters',
  customer: 'only this customer’s changes',
  lastEventId: 'resume after this change, for clients that cannot send `Last-Event-ID`',
};

/**
 * A strict object's fields as query parameters. A field the route reads as `a,b` (a string that
 * it splits into an array) is the array it becomes, sent comma-separated (`explode: false`).
 */
function queryParameters(
  components: Components,
  type: z.ZodObject<Record<string, z.ZodType>>,
): Schema[] {
  return Object.entries(type.shape).map(([name, field]) => {
    const input = components.inline(field, 'input', name);
    const output = components.inline(field, 'output', name);
    const list = input['type'] === 'string' && output['type'] === 'array';
    return {
      name,
      in: 'query',
      required: false,
      description: DESCRIPTIONS[name],
      schema: list ? output : input,
      ...(list && { style: 'form', explode: false }),
    };
  });
}

/**
 * Each event of the stream, as schemathesis and other readers of OpenAPI 3.0 parse Server-Sent
 * Events: `event: change` with the stream id and a Change as JSON, or `event: gap` with the oldest
 * id still held.
 */
const StreamEventSchema = z.union([
  z.strictObject({
    event: z.literal('change'),
    id: z
      .string()
      .regex(POSITION)
      .describe(
        "the stream's id, one per index shard joined by `.`: what Last-Event-ID resumes from",
      ),
    data: z.string().describe('a Change (`#/components/schemas/Change`) as JSON'),
  }),
  z.strictObject({
    event: z.literal('gap'),
    id: z.string().regex(POSITION).optional(),
    data: z.string().describe('`{"oldestId": "<stream id>"}`: changes before it may not be sent'),
  }),
]);

/** The query API's OpenAPI 3.0 document, generated from the same zod schemas that validate. */
export function openApiDocument() {
  const components = new Components();
  const id = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'the customer id: 1 to 256 characters, no control characters, no `{` or `}`',
    schema: components.inline(CustomerParamsSchema.shape.id, 'input', 'CustomerId'),
  };
  const notFound = errorAnswer('`CUSTOMER_NOT_FOUND`: no event for this customer was projected');
  // An id merged into another points at the survivor (docs/identity.md).
  const pointer = {
    description:
      'this id was merged into another: `Location` is the same route of the surviving customer',
    headers: { Location: { schema: { type: 'string' } } },
    content: json(
      components.add('MergedInto', z.strictObject({ mergedInto: z.string() }), 'output'),
    ),
  };
  const customerAnswers = { '308': pointer, '404': notFound };
  const read = (summary: string, parameters: Schema[], result: Schema, description: string) => ({
    get: {
      summary,
      security: [{ readKey: [] }],
      parameters,
      responses: {
        '200': { description, content: json(result) },
        ...errors(KEYED_ERRORS),
      },
    },
  });
  /** A read of one customer; `answers` are its own besides 200 and the keyed errors. */
  const customer = (
    summary: string,
    query: z.ZodObject<Record<string, z.ZodType>>,
    result: Schema,
    description: string,
    answers: Readonly<Record<string, Schema>> = { '404': notFound },
  ) => {
    const operation = read(
      summary,
      [id, ...queryParameters(components, query)],
      result,
      description,
    );
    return { get: { ...operation.get, responses: { ...operation.get.responses, ...answers } } };
  };
  // The routes that reach the customer workflows (Temporal) rather than the read model.
  const temporalUnavailable = (what: string) => ({
    ...errorAnswer(`\`TEMPORAL_UNAVAILABLE\`: the customer workflows did not answer; ${what}`),
    headers: retryAfter(true),
  });
  const noWorkflow = (code: string) =>
    errorAnswer(`\`${code}\`: the customer has no workflow (no event of theirs reached it)`);
  components.add('Change', ChangeSchema, 'output');
  // The header is read as none when empty (EventSource's before it saw an id), and unbounded.
  const lastEventId = components.inline(
    z.union([z.literal(''), z.string().regex(POSITION)]),
    'input',
    'LastEventId',
  );

  // Asks the customer's workflow, not the read model: an admin key, and Temporal must answer.
  const followUp = {
    post: {
      summary:
        "Ask the customer's workflow for a follow-up now: the named playbook, or the first whose triggers include manual",
      description:
        'The workflow decides: it starts the playbook unless a follow-up is running (the drop it records says `running`) or no playbook has that name (`no_playbook`). The decision shows in the workflow (`rapport workflow <id>`) and, once projected, in this customer’s `drops` and `followUps`. An empty body asks for the default, as `{}` does.',
      security: [{ adminKey: [] }],
      parameters: [id, ...queryParameters(components, FollowUpQuerySchema)],
      requestBody: {
        required: false,
        content: json(components.add('FollowUpRequest', FollowUpBodySchema, 'input')),
      },
      responses: {
        '202': {
          description: 'the request reached the customer’s workflow, which decides',
          content: json(components.add('FollowUpRequested', FollowUpRequestedSchema, 'output')),
        },
        ...errors(BODY_ERRORS),
        '404': noWorkflow('CUSTOMER_NOT_FOUND'),
        '503': temporalUnavailable('nothing was requested'),
      },
    },
  };

  return serviceDocument({
    title: 'Rapport query API',
    description:
      "Customers' live engagement state, read at the request's instant (decay applied at read time), counts of them, their workflows and a stream of state changes (read keys); an admin key asks a customer's workflow for a follow-up. Unknown query parameters are refused (400).",
    securitySchemes: {
      readKey: { type: 'http', scheme: 'bearer', description: 'a read key (RAPPORT_READ_KEYS)' },
    },
    components,
    paths: {
      '/v1/customers': read(
        'Customers by status, stage and channel, sorted by a predicted instant, a page at a time',
        queryParameters(components, ListQuerySchema),
        components.add('CustomerList', CustomerListSchema, 'output'),
        'a page, read at `asOf`',
      ),
      '/v1/customers/{id}': {
        ...customer(
          "One customer's state at the request's instant (or `at`)",
          ReadQuerySchema,
          components.add('Customer', CustomerViewSchema, 'output'),
          'the state, decayed to `asOf`',
          customerAnswers,
        ),
        delete: {
          summary: 'Erase a person (every id merged into them included): the right to be forgotten',
          description:
            'Suppresses their ids (kept only as keyed hashes: new events about them are refused with `422 CUSTOMER_ERASED`, and the projector, the bridge, replays and dead-letter replays skip theirs), removes their records, history, timelines, index and change-stream entries from Redis and terminates and deletes their workflows. Answers a receipt with counts. Idempotent: erasing again completes what a failure left.',
          security: [{ adminKey: [] }],
          parameters: [id],
          responses: {
            '200': {
              description: 'what was removed where',
              content: json(components.add('ErasureReceipt', ErasureReceiptSchema, 'output')),
            },
            ...errors(KEYED_ERRORS),
            '503': temporalUnavailable(
              'the person is suppressed and gone from Redis, their workflows may not be: erase again',
            ),
          },
        },
      },
      '/v1/customers/{id}/export': {
        get: {
          summary:
            'Everything Rapport holds about a person, as one JSON document (a data-subject access request)',
          description:
            'The person `id` belongs to: their ids, the state read now, history, timeline, the merged ids’ timelines from before the merge, and the engagement workflow with its follow-ups.',
          security: [{ adminKey: [] }],
          parameters: [id],
          responses: {
            '200': {
              description: 'the export',
              content: json({ type: 'object', additionalProperties: true }),
            },
            ...errors(KEYED_ERRORS),
            '404': errorAnswer('`CUSTOMER_NOT_FOUND`: Rapport holds nothing about this id'),
            '503': temporalUnavailable('nothing was exported'),
          },
        },
      },
      '/v1/customers/{id}/history': customer(
        'Snapshots after each write, oldest first, for a chart',
        HistoryQuerySchema,
        components.add('History', HistorySchema, 'output'),
        'snapshots',
        customerAnswers,
      ),
      '/v1/customers/{id}/timeline': customer(
        'The most recent events applied, newest first',
        TimelineQuerySchema,
        components.add('Timeline', TimelineSchema, 'output'),
        'events',
        customerAnswers,
      ),
      '/v1/customers/{id}/workflow': customer(
        "The customer's engagement workflow (Temporal): its state, timers, open requests and drops, and its latest follow-ups with their steps",
        WorkflowQuerySchema,
        components.add('CustomerWorkflow', CustomerWorkflowSchema, 'output'),
        `the workflow as it answers (instants in epoch milliseconds); at most ${LATEST_FOLLOW_UPS} follow-ups, newest first, \`steps\` null for one that did not answer`,
        {
          '308': pointer,
          '404': noWorkflow('WORKFLOW_NOT_FOUND'),
          '503': temporalUnavailable('nothing was read'),
        },
      ),
      '/v1/customers/{id}/follow-ups': followUp,
      '/v1/summary': read(
        "Customers counted by status, stage and channel at the request's instant (or `at`), each read as `/v1/customers/{id}` reads them",
        queryParameters(components, ReadQuerySchema),
        components.add('Summary', SummarySchema, 'output'),
        'the counts at `asOf` (the instant to the second; requests of the same second share one count)',
      ),
      '/v1/stream': {
        get: {
          summary:
            'Server-Sent Events of state changes; comments as heartbeats; resumable with Last-Event-ID',
          security: [{ readKey: [] }],
          parameters: [
            ...queryParameters(components, StreamQuerySchema),
            {
              name: 'Last-Event-ID',
              in: 'header',
              required: false,
              description: 'resume after this change (what EventSource sends on reconnecting)',
              schema: lastEventId,
            },
          ],
          responses: {
            '200': {
              description: 'the stream, one event per change',
              content: {
                'text/event-stream': {
                  schema: components.add('StreamEvent', StreamEventSchema, 'output'),
                },
              },
            },
            ...errors(KEYED_ERRORS),
            '429': {
              ...errorAnswer(
                '`TOO_MANY_STREAMS`: too many streams are open, for this key or in all; `RATE_LIMITED`: over the key’s rate',
              ),
              headers: retryAfter(true),
            },
          },
        },
      },
    },
  });
}
