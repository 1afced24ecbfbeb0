import { IdentityLinkBodySchema, parseWith, type IdentityLinkResult } from '@rapport/schema';
import type { FastifyPluginCallback } from 'fastify';
import type { RouteContext } from '../app.js';
import { ApiError } from '../errors.js';
import { budgetOf, ingest } from '../ingest.js';

/**
 * `POST /v1/identities`: another system says two ids are one person (a CRM merge, a support desk
 * that knows the user id behind an email). The link is decided, published as `profile.merged`
 * and answered once Kafka acknowledged it (docs/identity.md).
 */
export const identityRoutes =
  (context: RouteContext): FastifyPluginCallback =>
  (app, _options, done) => {
    app.post('/v1/identities', { config: { access: 'write' } }, async (request) => {
      const parsed = parseWith(IdentityLinkBodySchema, request.body);
      if (!parsed.ok) {
        throw new ApiError(400, 'VALIDATION_FAILED', 'the link is not valid', [...parsed.issues]);
      }
      const { from, into } = parsed.value;
      const { survivors, merged } = await ingest(context, [], {
        source: 'http',
        scope: 'http',
        budget: budgetOf(request),
        links: [{ from, into, via: 'api', at: '' }],
      });
      return {
        survivor: survivors[0] ?? into,
        merged: merged[0] ?? false,
      } satisfies IdentityLinkResult;
    });
    done();
  };
