import { InstantSchema, instantMs } from '@rapport/schema';
import { z } from 'zod';
import { signatureMatches } from '../signature.js';
import { freshness, signedRequestKey } from './freshness.js';
import { SecretsSchema, toleranceSecondsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';

/**
 * Zendesk's webhook signatures (developer.zendesk.com, "Verifying webhook authenticity"):
 * `X-Zendesk-Webhook-Signature` is `base64(HMAC-SHA256(TIMESTAMP + BODY))` keyed with the
 * webhook's signing secret, where TIMESTAMP is the `X-Zendesk-Webhook-Signature-Timestamp`
 * header exactly as sent (an RFC 3339 instant such as `2021-07-25T10:00:00Z`) and BODY the raw
 * bytes, concatenated with no separator.
 *
 * **Tolerance: 5 minutes by default.** Zendesk documents none, yet says the signature helps
 * "prevent against replay attacks", which it only does if the receiver bounds the timestamp's
 * age: without a bound, a captured request stays valid forever. Zendesk's retries come within
 * about a minute of the first attempt (a 409, or a 429/503 with a `retry-after` under 60 s), so 5
 * minutes, Slack's and Stripe's documented window, refuses none of them while leaving room for
 * clock skew. `toleranceSeconds` widens it for a gateway whose clock cannot be trusted that far.
 * Within the window the gateway refuses a second copy by `replay`.
 */

const SIGNATURE = 'x-zendesk-webhook-signature';
const TIMESTAMP = 'x-zendesk-webhook-signature-timestamp';

export const ZendeskOptionsSchema = z.strictObject({
  /** The webhook's signing secret (Admin Center › Webhooks › the webhook › Signing secret). */
  secrets: SecretsSchema,
  toleranceSeconds: toleranceSecondsSchema(300),
});
export type ZendeskOptions = z.infer<typeof ZendeskOptionsSchema>;

/** A SHA-256 digest in standard base64: 43 characters and one `=`; a lenient decode ignores junk. */
const SignatureSchema = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);
const TimestampSchema = InstantSchema.transform(instantMs);

export const zendeskScheme: VerificationScheme<ZendeskOptions> = {
  name: 'zendesk',
  options: ZendeskOptionsSchema,
  verify(request, { secrets, toleranceSeconds }) {
    const presented = request.headers[SIGNATURE];
    const timestamp = request.headers[TIMESTAMP];
    if (!presented || !timestamp) {
      return {
        ok: false,
        code: 'MISSING_SIGNATURE',
        message:
          'X-Zendesk-Webhook-Signature and X-Zendesk-Webhook-Signature-Timestamp are both required',
      };
    }
    const sentAt = TimestampSchema.safeParse(timestamp);
    if (!sentAt.success || !SignatureSchema.safeParse(presented).success) {
      return {
        ok: false,
        code: 'BAD_SIGNATURE',
        message: sentAt.success
          ? 'X-Zendesk-Webhook-Signature is not a base64 SHA-256 digest'
          : 'X-Zendesk-Webhook-Signature-Timestamp is not an RFC 3339 instant',
      };
    }
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
    const spec = { header: SIGNATURE, encoding: 'base64' } as const;
    // Every secret is tried, so the time taken does not tell which one matched.
    const matches = secrets.map((secret) => signatureMatches(spec, secret, signed, presented));
    if (!matches.includes(true)) {
      return {
        ok: false,
        code: 'BAD_SIGNATURE',
        message:
          'X-Zendesk-Webhook-Signature does not match the timestamp and body under any configured signing secret',
      };
    }
    const fresh = freshness(
      'X-Zendesk-Webhook-Signature-Timestamp',
      sentAt.data,
      request.now,
      toleranceSeconds,
    );
    if (!fresh.ok) return fresh;
    // Refused as a replay while the signature is still fresh, and forgotten once it is stale.
    return {
      ok: true,
      replay: { key: signedRequestKey(timestamp, request.rawBody), ttlMs: fresh.ttlMs },
    };
  },
};
