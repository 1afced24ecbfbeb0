import { cyrb53, RecentSet } from '@rapport/model';

/**
 * Events whose ids a customer's record remembers. A copy of an event in the log comes from a
 * publish retried across a broker's failover, seconds after the original: a customer rarely has
 * this many events in between. The workflow remembers more (its state is not stored per write);
 * each fingerprint costs the record 6 bytes.
 */
export const RECENT_EVENTS = 32;

/** The customer's latest events, by fingerprint (see eventFingerprint), oldest first. */
export function recentEvents(fingerprints: readonly number[] = []): RecentSet<number> {
  return new RecentSet(RECENT_EVENTS, fingerprints);
}

/**
 * 48 bits of `cyrb53`: ids of any length in 6 stored bytes, where two distinct ids among a
 * customer's remembered ones collide with odds of about one in 10^13 per event.
 */
export function eventFingerprint(eventId: string): number {
  return cyrb53(eventId) % 2 ** 48;
}
