import type { FastifyPluginCallback } from 'fastify';
import { FollowUpBodySchema, type FollowUpRequested } from '@rapport/schema';
import type { ApiContext } from '../app.js';
import { CustomerParamsSchema, FollowUpQuerySchema } from '../queries.js';
import { parseOrThrow } from '../validate.js';
import { noWorkflow } from '../workflows.js';

/**
 * The admin routes that act on a customer's engagement workflow (not on the read model): each
 * signals the workflow and answers 202 once Temporal took the signal; what the workflow decided
 * shows in its drops (`rapport workflow <id>`) and, through the events it publishes, here.
 */
export const followUpRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const admins = { config: { access: 'admin' } } as const;

    app.post('/v1/customers/:id/follow-ups', admins, async (request, reply) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      parseOrThrow(FollowUpQuerySchema, request.query);
      // No body at all asks for the default, as `{}` does.
      const body = parseOrThrow(FollowUpBodySchema, request.body ?? {}, 'body');
      if (!(await context.workflows.requestFollowUp(id, body))) {
        throw noWorkflow('CUSTOMER_NOT_FOUND', id);
      }
      const answer: FollowUpRequested = {
        customerId: id,
        playbook: body.playbook ?? null,
        requested: true,
      };
      return reply.code(202).send(answer);
    });
    done();
  };
