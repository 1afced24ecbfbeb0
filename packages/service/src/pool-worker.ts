import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { OpsServer } from './ops';
import { readiness, type ReadinessChecks } from './readiness';

/** The messages between a process pool's primary (pool.ts) and its workers. */

/** The primary asks; a worker answers with the same id. */
export const QuestionSchema = z.object({
  type: z.literal('rapport:ops?'),
  id: z.number(),
  want: z.enum(['readiness', 'metrics']),
});
export type Question = z.infer<typeof QuestionSchema>;

const ReadinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.string()),
});
export const AnswerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rapport:started') }),
  z.object({
    type: z.literal('rapport:ops!'),
    id: z.number(),
    readiness: ReadinessSchema.optional(),
    /** `registry.getMetricsAsJSON()`, aggregated as prom-client's cluster support does. */
    metrics: z.array(z.unknown()).optional(),
  }),
]);
export type Answer = z.infer<typeof AnswerSchema>;

/**
 * In a pool's worker: answers the primary's questions with this process's readiness and metrics
 * instead of listening (the primary serves the port), and tells it the worker has started.
 */
export function answerPrimary(checks: ReadinessChecks, registry: Registry): OpsServer {
  const onMessage = (message: unknown) => {
    const question = QuestionSchema.safeParse(message);
    if (!question.success) return;
    const { id, want } = question.data;
    const answer =
      want === 'readiness'
        ? readiness(checks).then((body) => ({ readiness: body }))
        : registry.getMetricsAsJSON().then((metrics) => ({ metrics }));
    // Whatever fails here, the primary gets an answer (an empty one counts as not ready).
    void answer
      .catch(() => ({}))
      .then((body) => process.send?.({ type: 'rapport:ops!', id, ...body }));
  };
  process.on('message', onMessage);
  process.send?.({ type: 'rapport:started' } satisfies Answer);
  return {
    url: `the pool primary's port (this is worker ${cluster.worker?.id ?? '?'})`,
    close: () => {
      process.off('message', onMessage);
      return Promise.resolve();
    },
  };
}
