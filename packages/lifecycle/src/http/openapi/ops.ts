import { z } from 'zod';
import type { Components, Schema } from './components.js';
import { errors, KEYED_ERRORS, PUBLIC_ERRORS } from './errors.js';

/** `/readyz`'s body; what each check found names addresses, so admin keys alone see it. */
const ReadinessSchema = z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  checks: z
    .record(z.string(), z.string())
    .optional()
    .describe("each dependency's `ok` or what failed; shown to an admin key only"),
});

const json = (schema: Schema) => ({ 'application/json': { schema } });

/** `/healthz`, `/readyz`, `/metrics` and `/openapi.json`, which every HTTP service serves alike. */
export function opsPaths(components: Components): Record<string, Schema> {
  const health = components.add('Health', z.strictObject({ status: z.literal('ok') }), 'output');
  const readiness = components.add('Readiness', ReadinessSchema, 'output');
  return {
    '/healthz': {
      get: {
        summary: 'Liveness: the process answers',
        security: [],
        responses: {
          '200': { description: 'alive', content: json(health) },
          ...errors(PUBLIC_ERRORS),
        },
      },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: every dependency answers (`checks` for an admin key only)',
        security: [{}, { adminKey: [] }],
        responses: {
          '200': { description: 'ready', content: json(readiness) },
          ...errors(PUBLIC_ERRORS),
          '503': { description: 'not ready', content: json(readiness) },
        },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        security: [{ adminKey: [] }],
        responses: {
          '200': {
            description: 'the Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errors(KEYED_ERRORS),
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: {
          '200': { description: 'OpenAPI 3.0', content: json({ type: 'object' }) },
          ...errors(PUBLIC_ERRORS),
        },
      },
    },
  };
}
