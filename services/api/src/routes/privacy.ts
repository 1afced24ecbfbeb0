import type { FastifyPluginCallback } from 'fastify';
import type { ApiContext } from '../app.js';
import { erasePerson, exportPerson } from '../privacy.js';
import { CustomerParamsSchema } from '../queries.js';
import { parseOrThrow } from '../validate.js';

/**
 * The data-subject routes, admin only (docs/identity.md): erase a person (every id merged into
 * them included) and answer with a receipt, or export everything Rapport holds about them.
 */
export const privacyRoutes =
  (context: ApiContext): FastifyPluginCallback =>
  (app, _options, done) => {
    const admins = { config: { access: 'admin' } } as const;

    app.delete('/v1/customers/:id', admins, async (request) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      const receipt = await erasePerson(context.privacy, id);
      request.log.info(
        { ids: receipt.erased.length, redis: receipt.redis, temporal: receipt.temporal },
        'a person was erased',
      );
      return receipt;
    });

    app.get('/v1/customers/:id/export', admins, async (request) => {
      const { id } = parseOrThrow(CustomerParamsSchema, request.params, 'path');
      return exportPerson(context.privacy, id);
    });
    done();
  };
