import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Verdict } from './scheme.js';

/**
 * Unix seconds as a header or a form field writes them: digits only (a lenient `parseInt` would
 * read `12abc` as 12), as epoch milliseconds.
 */
export const UnixSecondsTextSchema = z
  .string()
  .regex(/^\d{1,11}$/)
  .transform((seconds) => Number(seconds) * 1000);

type Fresh = { readonly ok: true; readonly ttlMs: number };
type Stale = Extract<Verdict, { ok: false }>;

/**
 * Whether a genuine request signed at `signedAtMs` is still fresh when received at `now`: within
 * the tolerance either way (a provider's clock may run ahead of ours). A fresh one's replay key
 * must be kept until it would be stale anyway, everywhere (`ttlMs`); after that the window refuses
 * it.
 * `what` names the timestamp for the message, which never quotes a secret or a signature.
 */
export function freshness(
  what: string,
  signedAtMs: number,
  now: number,
  toleranceSeconds: number,
): Fresh | Stale {
  const toleranceMs = toleranceSeconds * 1000;
  const skewMs = now - signedAtMs;
  if (Math.abs(skewMs) <= toleranceMs) {
    // Kept a whole tolerance past the instant it turns stale here: another gateway whose clock
    // runs behind this one's still takes it as fresh for a while, and must still see it.
    return { ok: true, ttlMs: signedAtMs + 2 * toleranceMs - now };
  }
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return {
    ok: false,
    code: 'STALE_SIGNATURE',
    message: `${what} is ${seconds} s ${skewMs < 0 ? 'ahead of' : 'behind'} the gateway's clock; at most ${toleranceSeconds} s either way is accepted`,
  };
}

/**
 * The replay key of a timestamped request: a digest of what was signed (the timestamp and the
 * body), never of the signature, which has several spellings that verify alike (hex in either
 * case, base64's spare bits, one `v1` per secret during a rotation, ECDSA's malleability).
 */
export const signedRequestKey = (timestamp: string, rawBody: Buffer): string =>
  createHash('sha256').update(timestamp).update('\n').update(rawBody).digest('base64url');
