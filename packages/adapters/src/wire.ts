import { z } from 'zod';
import { IdSchema, MAX_INSTANT_MS, MIN_INSTANT_MS } from '@rapport/schema';

/**
 * Zod pieces shared by the provider formats. Times leave here as canonical RFC 3339 strings, so a
 * bad provider time is reported at the provider's field, not at `occurredAt`.
 */

/** RFC 3339 in UTC for epoch milliseconds, or `undefined` outside the instants the pipeline accepts. */
export function instantAt(ms: number): string | undefined {
  return ms >= MIN_INSTANT_MS && ms < MAX_INSTANT_MS ? new Date(ms).toISOString() : undefined;
}

/** Unix seconds, as SendGrid, Intercom and Stripe send them. */
export const UnixSecondsSchema = z.number().transform((seconds, context) => {
  const instant = instantAt(seconds * 1000);
  if (instant !== undefined) return instant;
  context.addIssue({ code: 'custom', message: 'expected unix seconds from 1970 to 2100' });
  return z.NEVER;
});

/** Providers write ids as strings or as integers (Zendesk did both over the years); ours are strings. */
export const ProviderIdSchema = z.union([
  IdSchema,
  z
    .number()
    .int()
    .nonnegative()
    .transform((id) => String(id)),
]);

/**
 * A lowercase `snake_case` slug: accents dropped (`Commande passée` → `commande_passee`), every
 * other run of non-alphanumerics one underscore. Empty when nothing alphanumeric is left.
 */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}
