import { z } from 'zod';

/**
 * A schema built on its first use instead of when its module loads: a zod `lazy` whose getter
 * runs once. For the schemas the workflows import but a workflow seldom parses (a continue-as-new
 * snapshot, a query's answer, a merge's hand-over): the Temporal worker evaluates the workflow
 * bundle's modules again for every workflow, so every schema built at module load is built, and
 * kept, once per workflow (docs/performance.md, "What a new workflow costs the worker").
 *
 * Types are the built schema's (`z.infer`, `z.input` and `z.output` are unchanged); the schema
 * itself is `build()`'s, through `.unwrap()`.
 *
 * zod asks a field whether it may be absent (its `optin` and `optout`), and a `lazy` answers by
 * building what it wraps: `lazySchema(…).optional()` in an object would be built by that
 * object's first parse, present or not. So the answer is given here, as what it is for every
 * schema this is for: neither optional nor defaulted at its top (checked when it is built).
 */
export function lazySchema<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  let built: T | undefined;
  const schema = z.lazy(() => {
    if (built === undefined) {
      built = build();
      if (built._zod.optin !== undefined || built._zod.optout !== undefined) {
        throw new TypeError('lazySchema: an optional or defaulted schema; make the field optional');
      }
    }
    return built;
  });
  // Own properties shadow zod's getters, which would build the schema to answer.
  Object.defineProperty(schema._zod, 'optin', {
    value: undefined,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(schema._zod, 'optout', {
    value: undefined,
    writable: true,
    configurable: true,
  });
  return schema;
}
