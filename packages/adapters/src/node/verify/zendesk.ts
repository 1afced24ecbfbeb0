import { InstantSchema, instantMs } from '@rapport/schema';
import { z } from 'zod';
import { SecretsSchema, toleranceSecondsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';
import { verifyTimestampedHmac, type TimestampedHmac } from './timestamped-hmac.js';

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

/** What Zendesk signs, and how it writes it. */
const SIGNED: TimestampedHmac = {
  signature: {
    header: SIGNATURE,
    form: /^[A-Za-z0-9+/]{43}=$/,
    described: 'a base64 SHA-256 digest',
  },
  timestamp: {
    header: TIMESTAMP,
    schema: InstantSchema.transform(instantMs),
    described: 'an RFC 3339 instant',
  },
  digest: { encoding: 'base64' },
  signed: (timestamp, rawBody) => Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
};

export const zendeskScheme: VerificationScheme<ZendeskOptions> = {
  name: 'zendesk',
  options: ZendeskOptionsSchema,
  verify: (request, options) => verifyTimestampedHmac(SIGNED, request, options),
};
