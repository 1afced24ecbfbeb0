import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formFields } from './form-fields.js';
import { freshness, UnixSecondsTextSchema } from './freshness.js';
import { SecretsSchema, toleranceSecondsSchema } from './options.js';
import type { VerificationScheme, WebhookRequest } from './scheme.js';
import { refuse } from './refusal.js';

/**
 * Mailgun's webhook signatures (documentation.mailgun.com/docs/mailgun/user-manual/webhooks/
 * securing-webhooks): the signature travels in the body, `signature: { timestamp, token,
 * signature }` beside `event-data` in a webhook's JSON, and as the form fields `timestamp`,
 * `token` and `signature` of a message a route forwards. `signature` is the hex HMAC-SHA256 of
 * `timestamp` and `token` concatenated, keyed with the HTTP webhook signing key (Mailgun's
 * console: Send › Sending › Webhooks › HTTP webhook signing key). Events of a subaccount's domain
 * also carry a `parent-signature` made with the primary account's key; either may match.
 *
 * Mailgun signs the timestamp and token only, not the event ("due to potentially large size of
 * posted data"), so a signature is only as good as its token being honoured once: Mailgun asks
 * receivers to cache tokens and refuse a second request with one, which is this scheme's replay
 * key. A body changed around a genuine signature is therefore refused as a replay once the
 * genuine request has arrived, and a signature lifted into a new request is refused likewise.
 *
 * **Tolerance: 5 minutes by default**, the window of the gateway's other providers (Stripe,
 * Slack, Zendesk). Mailgun's documentation only says to check that the timestamp "is not too far
 * from the current time" (its own PHP sample allows 15 seconds, which any clock skew breaks);
 * five minutes leaves room for skew and a slow connection, and the token refuses a second copy
 * within it. Mailgun does not document whether a retry (up to 8 hours later) is signed anew:
 * should retries arrive stale, `toleranceSeconds` (up to an hour) widens the window.
 */

export const MailgunOptionsSchema = z.strictObject({
  /** The HTTP webhook signing key; two while it is being rotated. */
  secrets: SecretsSchema,
  toleranceSeconds: toleranceSecondsSchema(300),
});
export type MailgunOptions = z.infer<typeof MailgunOptionsSchema>;

const DigestSchema = z.string().regex(/^[0-9a-f]{64}$/i);

/** The signature fields, wherever the body keeps them; the timestamp as sent (it is signed). */
const SignedSchema = z.object({
  timestamp: z.union([z.string(), z.number().int().nonnegative().transform(String)]),
  token: z.string().min(1).max(256),
  signature: z.string(),
  'parent-signature': z.string().optional(),
});
type Signed = z.infer<typeof SignedSchema>;

const FIELDS = ['timestamp', 'token', 'signature'] as const;

/** A webhook's JSON keeps the fields under `signature`; a route's form keeps them at its top. */
function signedFieldsOf(request: WebhookRequest): unknown {
  const form = formFields(request.rawBody, request.headers['content-type'], FIELDS);
  if (form !== undefined) return Object.fromEntries(form);
  try {
    const body: unknown = JSON.parse(request.rawBody.toString('utf8'));
    return typeof body === 'object' && body !== null && 'signature' in body
      ? body.signature
      : undefined;
  } catch {
    return undefined;
  }
}

function matches(secrets: readonly string[], { timestamp, token, ...presented }: Signed): boolean {
  const given = [presented.signature, presented['parent-signature']].flatMap((digest) => {
    const hex = DigestSchema.safeParse(digest);
    return hex.success ? [Buffer.from(hex.data.toLowerCase())] : [];
  });
  // Every key against every signature, so the time taken does not tell which one matched.
  let matched = false;
  for (const secret of secrets) {
    const expected = Buffer.from(
      createHmac('sha256', secret).update(`${timestamp}${token}`).digest('hex'),
    );
    for (const digest of given) matched = timingSafeEqual(digest, expected) || matched;
  }
  return matched;
}

export const mailgunScheme: VerificationScheme<MailgunOptions> = {
  name: 'mailgun',
  options: MailgunOptionsSchema,
  verify(request, { secrets, toleranceSeconds }) {
    const signed = SignedSchema.safeParse(signedFieldsOf(request));
    if (!signed.success) {
      return refuse(
        'MISSING_SIGNATURE',
        "no Mailgun signature in the body: a webhook's signature.{timestamp,token,signature}, or a route's timestamp, token and signature fields",
      );
    }
    const signedAt = UnixSecondsTextSchema.safeParse(signed.data.timestamp);
    if (!signedAt.success) return refuse('BAD_SIGNATURE', 'the timestamp is not unix seconds');
    if (!matches(secrets, signed.data)) {
      return refuse(
        'BAD_SIGNATURE',
        'the signature does not match the timestamp and token under any configured webhook signing key',
      );
    }
    const fresh = freshness(
      "the signature's timestamp",
      signedAt.data,
      request.now,
      toleranceSeconds,
    );
    if (!fresh.ok) return fresh;
    return { ok: true, replay: { key: signed.data.token, ttlMs: fresh.ttlMs } };
  },
};
