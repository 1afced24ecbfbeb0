import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { lazySchema } from './lazy.js';

/** A schema whose builds are counted, and the same schema built at once. */
function counted() {
  const built = { count: 0 };
  const build = () => {
    built.count += 1;
    return z.object({ n: z.int().min(0), tags: z.array(z.string()).default([]) });
  };
  return { built, lazy: lazySchema(build), eager: build() };
}

describe('lazySchema', () => {
  it('builds nothing until its first parse, then once', () => {
    const { built, lazy } = counted();
    built.count = 0;
    const parent = z.object({ id: z.string(), inner: lazy, list: z.array(lazy) });
    expect(built.count).toBe(0);
    expect(parent.parse({ id: 'a', inner: { n: 1 }, list: [{ n: 2 }] })).toEqual({
      id: 'a',
      inner: { n: 1, tags: [] },
      list: [{ n: 2, tags: [] }],
    });
    expect(lazy.parse({ n: 3 })).toEqual({ n: 3, tags: [] });
    expect(lazy.unwrap()).toBe(lazy.unwrap());
    expect(built.count).toBe(1);
  });

  it('as an optional field, is not built by a parse without it', () => {
    const { built, lazy } = counted();
    built.count = 0;
    const parent = z.object({ id: z.string(), inner: lazy.optional() });
    expect(parent.parse({ id: 'a' })).toEqual({ id: 'a' });
    expect(parent.safeParse({ id: 'a', inner: undefined }).success).toBe(true);
    expect(built.count).toBe(0);
    expect(parent.parse({ id: 'a', inner: { n: 1 } })).toEqual({
      id: 'a',
      inner: { n: 1, tags: [] },
    });
    expect(built.count).toBe(1);
  });

  it('parses, refuses and reports as the schema built at once', () => {
    const { lazy, eager } = counted();
    const inputs = [{ n: 1 }, { n: -1 }, { n: 'x', tags: [1] }, {}, null, undefined, 'n'];
    for (const [field, wrap] of [
      ['required', (schema: z.ZodType) => z.object({ inner: schema })],
      ['optional', (schema: z.ZodType) => z.object({ inner: schema.optional() })],
      ['nullable', (schema: z.ZodType) => z.object({ inner: schema.nullable() })],
    ] as const) {
      for (const input of inputs) {
        for (const value of [{ inner: input }, {}]) {
          const issues = (schema: z.ZodType) => {
            const parsed = wrap(schema).safeParse(value);
            return parsed.success ? parsed.data : z.treeifyError(parsed.error);
          };
          expect(issues(lazy), `${field} ${JSON.stringify(value)}`).toEqual(issues(eager));
        }
      }
    }
  });

  it('infers the types of the schema it builds', () => {
    type Lazy = ReturnType<typeof counted>['lazy'];
    type Eager = ReturnType<typeof counted>['eager'];
    expectTypeOf<z.input<Lazy>>().toEqualTypeOf<z.input<Eager>>();
    expectTypeOf<z.output<Lazy>>().toEqualTypeOf<z.output<Eager>>();
  });

  it('refuses a schema that is optional or defaulted at its top', () => {
    expect(() => lazySchema(() => z.string().optional()).parse('a')).toThrow(/lazySchema/);
    expect(() => lazySchema(() => z.string().default('a')).parse('a')).toThrow(/lazySchema/);
  });
});
