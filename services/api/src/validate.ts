import { parseWith } from '@rapport/schema';
import { ApiError } from '@rapport/lifecycle';
import type { z } from 'zod';

/** Parses request input, or answers 400 with every issue (the shared error shape). */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, where = 'query'): T {
  const parsed = parseWith(schema, input);
  if (parsed.ok) return parsed.value;
  const first = parsed.issues[0];
  throw new ApiError(
    400,
    'VALIDATION_FAILED',
    `invalid ${where}: ${first?.path || '(all)'} ${first?.message ?? ''}`.trim(),
    parsed.issues,
  );
}
