import { z } from 'zod';

/** Where each server came from: given in the environment, a container, or a native runner. */
export const sourceSchema = z.enum(['env', 'container', 'native']);
export type Source = z.infer<typeof sourceSchema>;

/** What the global setup hands every integration test (vitest `provide`/`inject` is JSON only). */
export const testInfraSchema = z.object({
  kafkaBrokers: z.array(z.string()).min(1),
  redisUrl: z.string(),
  /** A node of a Redis Cluster of three masters, for the suites that run on both topologies. */
  redisClusterUrl: z.string(),
  temporalAddress: z.string(),
  temporalNamespace: z.string(),
  /** The native time-skipping test server, for `TestWorkflowEnvironment.createTimeSkipping`. */
  temporalTestServer: z.string(),
  /** The workflow code bundled once for every file (webpack takes seconds each time). */
  workflowBundle: z.string(),
  sources: z.object({ kafka: sourceSchema, temporal: sourceSchema, redis: sourceSchema }),
});
export type TestInfra = z.infer<typeof testInfraSchema>;

declare module 'vitest' {
  export interface ProvidedContext {
    infra: TestInfra;
  }
}
