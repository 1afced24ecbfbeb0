import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { freshness, signedRequestKey } from './freshness.js';
import { SecretsSchema, toleranceSecondsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';
import { refuse } from './refusal.js';

const StripeOptionsSchema = z.strictObject({
  /** The endpoint's signing secrets (`whsec_…`, the dashboard's "Signing secret"). */
  secrets: SecretsSchema,
  /** Stripe's libraries default to five minutes. */
  toleranceSeconds: toleranceSecondsSchema(300),
});
type StripeOptions = z.infer<typeof StripeOptionsSchema>;

/** `t=<unix seconds>` once and one `v1=<hex>` or more, comma-separated, in any order. */
interface StripeHeader {
  readonly timestamp: number;
  readonly signatures: readonly string[];
}

/**
 * Parsed strictly: exactly one `t` of digits and at least one `v1`. Other schemes (`v0`, test
 * signatures Stripe sends beside the real one) are skipped, as Stripe's libraries skip them.
 */
function parseHeader(header: string): StripeHeader | undefined {
  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const equals = part.indexOf('=');
    const [key, value] = [part.slice(0, equals).trim(), part.slice(equals + 1).trim()];
    if (key === 't') timestamps.push(value);
    else if (key === 'v1') signatures.push(value);
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return undefined;
  }
  return signatures.length === 0 ? undefined : { timestamp: Number(timestamp), signatures };
}

/** What Stripe signs: HMAC-SHA256 of `<t>.<raw body>` under the secret, as lowercase hex. */
function expectedSignature(secret: string, timestamp: number, rawBody: Buffer): Buffer {
  return Buffer.from(
    createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex'),
  );
}

/**
 * Stripe's webhook signatures (docs.stripe.com/webhooks#verify-manually): the `Stripe-Signature`
 * header holds `t=…,v1=…[,v1=…]`; a request is Stripe's when any `v1` equals the HMAC of
 * `${t}.${rawBody}` under any of the channel's secrets (each compared in constant time), and
 * fresh when `t` is within the tolerance of the time of receipt, either way. The signature is
 * checked before the time, as Stripe's libraries do, so that only a genuine request is called
 * stale. Stripe signs every retry anew, so an identical request is a replay: `t` and the matching
 * signature identify it until it would be stale anyway.
 */
export const stripeScheme: VerificationScheme<StripeOptions> = {
  name: 'stripe',
  options: StripeOptionsSchema,
  verify(request, { secrets, toleranceSeconds }) {
    const header = request.headers['stripe-signature'];
    if (header === undefined || header.trim() === '') {
      return refuse('MISSING_SIGNATURE', 'no Stripe-Signature header');
    }
    const parsed = parseHeader(header);
    if (parsed === undefined) {
      return refuse('BAD_SIGNATURE', 'Stripe-Signature is not of the form t=<seconds>,v1=<hex>');
    }
    const expected = secrets.map((secret) =>
      expectedSignature(secret, parsed.timestamp, request.rawBody),
    );
    // Compared as text, as Stripe's libraries do: one spelling of a signature, one replay key.
    const matched = parsed.signatures.find((signature) => {
      const given = Buffer.from(signature);
      return expected.some(
        (digest) => given.length === digest.length && timingSafeEqual(given, digest),
      );
    });
    if (matched === undefined) {
      return refuse(
        'BAD_SIGNATURE',
        'no v1 signature of Stripe-Signature matches a signing secret of this channel',
      );
    }
    const fresh = freshness(
      "Stripe-Signature's t",
      parsed.timestamp * 1000,
      request.now,
      toleranceSeconds,
    );
    if (!fresh.ok) return fresh;
    const key = signedRequestKey(String(parsed.timestamp), request.rawBody);
    return { ok: true, replay: { key, ttlMs: fresh.ttlMs } };
  },
};
