import type { z } from 'zod';
import {
  InteractionSchema,
  StampedInteractionSchema,
  type Interaction,
  type StampedInteraction,
} from './interaction.js';

/** One thing wrong with an input: where (dotted path, `''` for the whole value) and what. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/**
 * Gateways accept batches and CSV files in which some rows are wrong; they need every problem
 * of every row as data, so parsing returns instead of throwing.
 */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export function parseInteraction(input: unknown): ParseResult<Interaction> {
  return parseWith(InteractionSchema, input);
}

/** Parses an event read back from the log (stamped with `receivedAt` and `source`). */
export function parseStampedInteraction(input: unknown): ParseResult<StampedInteraction> {
  return parseWith(StampedInteractionSchema, input);
}

export function parseWith<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.flatMap(toIssues) };
}

/** Zod reports all unknown keys as one issue at the parent; producers want one per field. */
function toIssues(issue: z.core.$ZodIssue): Issue[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: 'unknown field' }));
  }
  return [{ path: path.join('.'), message: issue.message }];
}
