import { RecentSet } from '@rapport/model';

/**
 * Events whose ids a customer's record remembers. A copy of an event in the log comes from a
 * publish retried across a broker's failover, seconds after the original: a customer rarely has
 * this many events in between. The workflow remembers more (its state is not stored per write);
 * each fingerprint costs the record 7 bytes.
 */
export const RECENT_EVENTS = 32;

/** The customer's latest events, by fingerprint (see eventFingerprint), oldest first. */
export function recentEvents(fingerprints: readonly number[] = []): RecentSet<number> {
  return new RecentSet(RECENT_EVENTS, fingerprints);
}

/**
 * 48 bits of cyrb53 (a public-domain string hash, two multiplicative lanes): ids of any length in
 * 7 stored bytes, where two distinct ids among a customer's remembered ones collide with odds
 * of about one in 10^13 per event.
 */
export function eventFingerprint(eventId: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < eventId.length; index++) {
    const code = eventId.charCodeAt(index);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 0x1_0000_0000 * (h2 & 0xffff) + (h1 >>> 0);
}
