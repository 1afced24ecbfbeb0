import { z } from 'zod';
import { isList, isRecord } from './adapter.js';

/**
 * Paths into a payload, for declarative mappings. Deliberately small (no wildcards, filters or
 * recursion), so that every path names exactly one place and a mapping reads the same to a person
 * as to the adapter:
 *
 * - `$` is the item itself (the payload, a row, or one element of the `events` array);
 * - `.name` steps into an object key made of letters, digits, `_` and `-`;
 * - `[3]` steps into an array index;
 * - `["any key"]` steps into any other key (CSV headers with spaces: `$["Customer ID"]`); the key
 *   cannot contain `"`.
 *
 * Keys are own properties only, so `$.constructor` finds nothing rather than a function.
 */

export type PathSegment = string | number;

export interface CompiledPath {
  /** As written, for messages. */
  readonly text: string;
  readonly segments: readonly PathSegment[];
}

const SEGMENT = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\["([^"]*)"\]/;

export function compilePath(text: string): CompiledPath | undefined {
  if (!text.startsWith('$')) return undefined;
  const segments: PathSegment[] = [];
  // Sticky: each segment must start exactly where the previous one ended.
  const pattern = new RegExp(SEGMENT.source, 'y');
  pattern.lastIndex = 1;
  while (pattern.lastIndex < text.length) {
    const match = pattern.exec(text);
    if (match === null) return undefined;
    const [, name, index, quoted] = match;
    segments.push(index === undefined ? (name ?? quoted ?? '') : Number(index));
  }
  return { text, segments };
}

export const PathSchema = z.string().transform((text, context) => {
  const compiled = compilePath(text);
  if (compiled !== undefined) return compiled;
  context.addIssue({
    code: 'custom',
    message: 'expected a path such as "$.author.id", "$.items[0]" or "$[\\"Customer ID\\"]"',
  });
  return z.NEVER;
});

/** The value at the path, or `undefined` when any step is missing. */
export function resolvePath(value: unknown, segments: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      current = isList(current) ? current[segment] : undefined;
    } else {
      current = isRecord(current) && Object.hasOwn(current, segment) ? current[segment] : undefined;
    }
  }
  return current;
}

/** The path as an issue path (`posts.3.author`), the form every `Issue` uses. */
export function issuePath(segments: readonly PathSegment[]): string {
  return segments.join('.');
}
