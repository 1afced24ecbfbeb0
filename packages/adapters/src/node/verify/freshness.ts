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
 * must be kept until it would be stale anyway (`ttlMs`); after that the window refuses it.
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
    return { ok: true, ttlMs: signedAtMs + toleranceMs - now + 1_000 };
  }
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  return {
    ok: false,
    code: 'STALE_SIGNATURE',
    message: `${what} is ${seconds} s ${skewMs < 0 ? 'ahead of' : 'behind'} the gateway's clock; at most ${toleranceSeconds} s either way is accepted`,
  };
}
