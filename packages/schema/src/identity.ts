import { z } from 'zod';
import { LoggedIdSchema, type StampedInteraction } from './interaction.js';

/**
 * An identity link on the log: `from` and `into` are one person from now on, and `into` is the
 * id that survives. The gateway decides the survivor (`packages/identity`), publishes the link as
 * an event of the survivor (`customerId` = `into`), and every consumer folds the two records into
 * one: the projector merges the read-model records, the workflows hand the ledger over.
 */
export const PROFILE_MERGED = 'profile.merged';

/** Where a link came from: a Segment `identify` or `alias`, or `POST /v1/identities`. */
export const LinkViaSchema = z.enum(['segment.identify', 'segment.alias', 'api']);
export type LinkVia = z.infer<typeof LinkViaSchema>;

export const MergeLinkSchema = z.object({
  /** The id merged away: from now on it points at `into`. */
  from: LoggedIdSchema,
  /** The surviving id (the root of `into`'s identities when the link was decided). */
  into: LoggedIdSchema,
  via: LinkViaSchema,
  /**
   * The link as asked, before either id was resolved to its survivor: its provenance, so that a
   * replay with a corrected identity map can rebuild the right customers (docs/identity.md).
   */
  asked: z.object({ from: LoggedIdSchema, into: LoggedIdSchema }),
});
export type MergeLink = z.infer<typeof MergeLinkSchema>;

/** The link an event carries, if it is one (and well formed); undefined for every other event. */
export function mergeLinkOf(
  event: Pick<StampedInteraction, 'type' | 'customerId' | 'properties'>,
): MergeLink | undefined {
  if (event.type !== PROFILE_MERGED) return undefined;
  const parsed = MergeLinkSchema.safeParse(event.properties);
  if (!parsed.success || parsed.data.into !== event.customerId) return undefined;
  if (parsed.data.from === parsed.data.into) return undefined;
  return parsed.data;
}
