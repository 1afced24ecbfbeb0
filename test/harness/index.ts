import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { testInfraSchema, type TestInfra } from './endpoints';

export type { TestInfra } from './endpoints';

/** The real servers the global setup provided, parsed like any other boundary input. */
export function testInfra(): TestInfra {
  return testInfraSchema.parse(inject('infra'));
}

/**
 * Names private to one test file, so files run in parallel against the same servers without
 * seeing each other's topics, keys, task queues or workflows.
 */
export function uniqueNames(label: string) {
  const id = `${label}-${randomBytes(4).toString('hex')}`;
  return {
    id,
    topic: (name: string) => `test.${id}.${name}`,
    keyPrefix: `test:${id}:`,
    taskQueue: `test-${id}`,
    groupId: (name: string) => `test-${id}-${name}`,
  };
}
