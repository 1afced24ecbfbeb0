import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SecretsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';

/**
 * Intercom's signed notifications (developers.intercom.com, "Webhook topics › Signed
 * notifications"): `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the raw body>`, keyed with the app's
 * client secret (Developer Hub › the app › Basic information).
 *
 * Intercom signs no timestamp, so there is no freshness to check and no replay window to keep: a
 * replayed notification carries its notification id, which the gateway's deduplication refuses.
 * SHA-1 is Intercom's choice, not ours; as an HMAC key it is still sound (RFC 2104).
 *
 * Intercom also checks an endpoint before it saves it, with an unsigned `HEAD` request that must
 * answer 200. That is the gateway's to answer (a `HEAD` has no body to verify or adapt), not this
 * scheme's: `WebhookRequest` carries `GET` and `POST` only.
 */

const HEADER = 'x-hub-signature';

export const IntercomOptionsSchema = z.strictObject({
  /** The app's client secret; two while it is being rotated. */
  secrets: SecretsSchema,
});
export type IntercomOptions = z.infer<typeof IntercomOptionsSchema>;

/** `sha1=` and the 20-byte digest in hex, nothing else: a lenient parse would accept trailing junk. */
const SignatureSchema = z
  .string()
  .regex(/^sha1=[0-9a-f]{40}$/i)
  .transform((header) => Buffer.from(header.slice('sha1='.length), 'hex'));

export const intercomScheme: VerificationScheme<IntercomOptions> = {
  name: 'intercom',
  options: IntercomOptionsSchema,
  verify(request, { secrets }) {
    const presented = request.headers[HEADER];
    if (presented === undefined || presented === '') {
      return { ok: false, code: 'MISSING_SIGNATURE', message: 'no X-Hub-Signature header' };
    }
    const signature = SignatureSchema.safeParse(presented);
    if (!signature.success) {
      return {
        ok: false,
        code: 'BAD_SIGNATURE',
        message: 'X-Hub-Signature is not "sha1=" followed by 40 hex digits',
      };
    }
    // Every secret is tried, so the time taken does not tell which one matched.
    const matches = secrets.map((secret) =>
      timingSafeEqual(createHmac('sha1', secret).update(request.rawBody).digest(), signature.data),
    );
    if (matches.includes(true)) return { ok: true };
    return {
      ok: false,
      code: 'BAD_SIGNATURE',
      message: 'X-Hub-Signature does not match the body under any configured client secret',
    };
  },
};
