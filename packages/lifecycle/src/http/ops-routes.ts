import type { FastifyPluginCallback } from 'fastify';
import type { OpsSources } from '../ops.js';
import { readinessStatus } from '../readiness.js';

export interface OpsRoutesOptions extends OpsSources {
  readonly metricsContentType: string;
  readonly openApi: unknown;
}

/**
 * The operational routes both HTTP services serve beside their API. `/healthz` and `/readyz`'s
 * status are public (load balancers and orchestrators probe them); what each check found names
 * broker and Redis addresses, so it is shown to admin keys only, as is `/metrics`.
 */
export const opsRoutes =
  (options: OpsRoutesOptions): FastifyPluginCallback =>
  (app, _options, done) => {
    const open = { config: { access: 'public' } } as const;
    app.get('/healthz', open, () => ({ status: 'ok' }));
    app.get('/readyz', open, async (request, reply) => {
      const body = await options.readiness();
      const shown = request.caller?.keyClass === 'admin' ? body : { status: body.status };
      return reply.code(readinessStatus(body)).send(shown);
    });
    app.get('/metrics', { config: { access: 'admin' } }, async (_request, reply) =>
      reply.type(options.metricsContentType).send(await options.metrics()),
    );
    app.get('/openapi.json', open, () => options.openApi);
    done();
  };
