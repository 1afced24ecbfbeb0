import type { FastifyPluginCallback } from 'fastify';
import type { ApiContext } from '../app.js';
import { pointTo } from './customers.js';
import { CustomerParamsSchema, WorkflowQuerySchema } from '../queries.js';
import { parseOrThrow } from '../validate.js';
import { noWorkflow } from '../workflows.js';

/**
 * `GET /v1/customers/:id/workflow`: the customer's engagement workflow as Temporal answers it
 * (its state, timers, open requests, drops) and its latest follow-ups with their steps, for a
 * dashboard. A read key, like the read model's routes; but it asks Temporal, not Redis, so it is
 * the one read that answers 503 while Temporal is down.
 */
export const workflowRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    app.get(
      '/v1/customers/:id/workflow',
      { config: { access: 'read' } },
      async (request, reply) => {
        const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
        parseOrThrow(WorkflowQuerySchema, request.query);
        // An erased customer's runs are terminated at once but deleted by Temporal later: until
        // then a query would still answer from their history.
        if ((await context.privacy.identities.erased([id])).size > 0) {
          throw noWorkflow('WORKFLOW_NOT_FOUND', id);
        }
        const workflow = await context.workflows.describe(id);
        if (workflow === null) throw noWorkflow('WORKFLOW_NOT_FOUND', id);
        const { mergedInto } = workflow.workflow;
        return mergedInto === undefined
          ? workflow
          : pointTo(request, reply, mergedInto, '/workflow');
      },
    );
    done();
  };
