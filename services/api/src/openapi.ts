import {
  ChangeSchema,
  CustomerListSchema,
  CustomerViewSchema,
  HistorySchema,
  TimelineSchema,
} from '@rapport/store';
import { z } from 'zod';
import { ListQuerySchema } from './list';

const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

const schema = (type: z.ZodType) => z.toJSONSchema(type, { target: 'openapi-3.0', io: 'output' });
const json = (ref: string) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${ref}` } },
});
const errors = (extra: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries({
      '400': 'invalid parameters; `issues` names every one',
      '401': 'missing or unknown read key',
      '403': 'a write key used to read',
      ...extra,
    }).map(([status, description]) => [status, { description, content: json('Error') }]),
  );
const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** Query parameters from the zod schema that validates them. */
function queryParameters(type: z.ZodObject) {
  return Object.entries(type.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: z.toJSONSchema(field as z.ZodType, { target: 'openapi-3.0', io: 'input' }),
  }));
}

/** The query API's OpenAPI 3.0 document, generated from the same zod schemas that validate. */
export function openApiDocument() {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Rapport query API',
      version: '1',
      description:
        "Customers' live engagement state, read at the request's instant (decay applied at read time), and a stream of state changes.",
    },
    components: {
      securitySchemes: { readKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Customer: schema(CustomerViewSchema),
        CustomerList: schema(CustomerListSchema),
        History: schema(HistorySchema),
        Timeline: schema(TimelineSchema),
        Change: schema(ChangeSchema),
        Error: schema(ErrorSchema),
      },
    },
    security: [{ readKey: [] }],
    paths: {
      '/v1/customers': {
        get: {
          summary: 'Customers by status, stage and channel, sorted by a predicted instant, paged',
          parameters: queryParameters(ListQuerySchema),
          responses: {
            '200': { description: 'one page', content: json('CustomerList') },
            ...errors(),
          },
        },
      },
      '/v1/customers/{id}': {
        get: {
          summary: "One customer's state at the request's instant (or `at`)",
          parameters: [
            idParameter,
            {
              name: 'at',
              in: 'query',
              required: false,
              schema: { type: 'string', format: 'date-time' },
            },
          ],
          responses: {
            '200': { description: 'the state, decayed to `asOf`', content: json('Customer') },
            ...errors({ '404': 'no event for this customer has been projected' }),
          },
        },
      },
      '/v1/customers/{id}/history': {
        get: {
          summary: 'Snapshots after each write, oldest first, for a chart',
          parameters: [idParameter],
          responses: {
            '200': { description: 'snapshots', content: json('History') },
            ...errors({ '404': 'unknown customer' }),
          },
        },
      },
      '/v1/customers/{id}/timeline': {
        get: {
          summary: 'The most recent events applied, newest first',
          parameters: [
            idParameter,
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer' } },
          ],
          responses: {
            '200': { description: 'events', content: json('Timeline') },
            ...errors({ '404': 'unknown customer' }),
          },
        },
      },
      '/v1/stream': {
        get: {
          summary:
            'Server-Sent Events of state changes (`event: change`, data: Change, id: resumable with Last-Event-ID); heartbeats as comments; `event: gap` when changes after Last-Event-ID were trimmed',
          parameters: [
            { name: 'customer', in: 'query', required: false, schema: { type: 'string' } },
            {
              name: 'status',
              in: 'query',
              required: false,
              schema: { type: 'string', enum: ['engaged', 'cooling', 'at_risk', 'dormant'] },
            },
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'text/event-stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...errors(),
          },
        },
      },
    },
  };
}
