import { InstantSchema, MAX_INSTANT_MS, MIN_INSTANT_MS } from '@rapport/schema';
import { z } from 'zod';

/** A JSON Schema (OpenAPI 3.0 flavour) or any other part of the document. */
export type Schema = Record<string, unknown>;

const isRecord = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Unicode property escapes as classes of code points: fuzzers and generators (schemathesis among
 * them) read patterns with Python's `re`, which has no `\p{…}`, and would take the pattern for no
 * constraint at all. A JSON Schema string is a sequence of code points, never a lone surrogate,
 * so "no surrogate" (`\P{Cs}`) holds for every string.
 */
const WITHOUT_PROPERTY: Readonly<Record<string, string>> = {
  Cc: '[^\\x00-\\x1f\\x7f-\\x9f]',
  Cs: '[\\s\\S]',
};

export function portablePattern(pattern: string): string {
  return pattern.replace(/\\([pP])\{(\w+)\}/g, (escape, kind: string, name: string) => {
    const spelled = kind === 'P' ? WITHOUT_PROPERTY[name] : undefined;
    if (spelled === undefined) throw new Error(`openapi: no class for ${escape} in ${pattern}`);
    return spelled;
  });
}

/** What zod's RFC 3339 pattern allows for a year, and for the year of a 29 February. */
const ANY_YEAR = '\\d{4}-';
const ANY_LEAP_YEAR =
  '(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29';

/**
 * InstantSchema's pattern narrowed to its refinement, instants from 1970 through 2100, which JSON
 * Schema cannot read from zod: the years become 1970–2100 and the leap years 1972–2096 (2100 is
 * none). An offset can still take an instant of 1970-01-01 or 2100-12-31 past either end.
 */
export function instantPattern(pattern: string): string {
  if (
    new Date(MIN_INSTANT_MS).toISOString() !== '1970-01-01T00:00:00.000Z' ||
    new Date(MAX_INSTANT_MS).toISOString() !== '2101-01-01T00:00:00.000Z'
  ) {
    throw new Error('openapi: the instants accepted changed; update instantPattern');
  }
  if (!pattern.includes(ANY_YEAR) || !pattern.includes(ANY_LEAP_YEAR)) {
    throw new Error(`openapi: zod's date-time pattern changed: ${pattern}`);
  }
  return pattern
    .replace(ANY_LEAP_YEAR, '(?:19(?:[79][26]|8[048])|20(?:[02468][048]|[13579][26]))-02-29')
    .replace(ANY_YEAR, '(?:19[7-9]\\d|20\\d\\d|2100)-');
}

/**
 * Zod schemas as OpenAPI 3.0 components. zod puts what a schema reuses (the recursive JSON value
 * of `properties`) under its own `definitions`, which OpenAPI 3.0 does not read: they become
 * components of their own, and the references follow.
 */
export class Components {
  readonly schemas: Record<string, Schema> = {};
  /** Definitions already registered, by content, so that each is one component. */
  readonly #definitions = new Map<string, string>();

  /** Registers `type` under `name` and answers a reference to it. */
  add(name: string, type: z.ZodType, io: 'input' | 'output'): Schema {
    this.schemas[name] = this.inline(type, io, name);
    return { $ref: `#/components/schemas/${name}` };
  }

  /** `type` as an OpenAPI 3.0 schema; its definitions become components named `<owner>.<name>`. */
  inline(type: z.ZodType, io: 'input' | 'output', owner: string): Schema {
    const { definitions: defined, ...schema } = z.toJSONSchema(type, {
      target: 'openapi-3.0',
      io,
      override: ({ zodSchema, jsonSchema }) => {
        if (zodSchema === InstantSchema && typeof jsonSchema.pattern === 'string') {
          jsonSchema.pattern = instantPattern(jsonSchema.pattern);
        }
      },
    });
    const definitions = isRecord(defined) ? defined : {};
    const names = new Map<string, string>();
    for (const [name, definition] of Object.entries(definitions)) {
      // A definition's references to itself are what differ between two copies of it.
      const content = JSON.stringify(definition).replaceAll(`"#/definitions/${name}"`, '"#"');
      const known = this.#definitions.get(content);
      names.set(name, known ?? `${owner}.${name}`);
      if (known === undefined) this.#definitions.set(content, `${owner}.${name}`);
    }
    const rewrite = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rewrite);
      if (!isRecord(node)) return node;
      return Object.fromEntries(
        Object.entries(node).map(([key, value]) => {
          if (key === '$ref' && typeof value === 'string') {
            const name = names.get(value.replace('#/definitions/', ''));
            if (name === undefined) throw new Error(`openapi: unexpected reference ${value}`);
            return [key, `#/components/schemas/${name}`];
          }
          if (key === 'pattern' && typeof value === 'string') return [key, portablePattern(value)];
          return [key, rewrite(value)];
        }),
      );
    };
    for (const [name, definition] of Object.entries(definitions)) {
      this.schemas[names.get(name) ?? name] ??= rewrite(definition) as Schema;
    }
    return rewrite(schema) as Schema;
  }
}
