import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { freshness, signedRequestKey, UnixSecondsTextSchema } from './freshness.js';
import { toleranceSecondsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';
import { refuse } from './refusal.js';

/**
 * SendGrid's Signed Event Webhook (twilio.com/docs/sendgrid/for-developers/tracking-events/
 * getting-started-event-webhook-security-features): `X-Twilio-Email-Event-Webhook-Signature` is
 * the base64 of an ECDSA P-256 signature (DER), with SHA-256, of the
 * `X-Twilio-Email-Event-Webhook-Timestamp` header followed by the raw body, made with a private
 * key SendGrid keeps. It is verified with the public key SendGrid shows once signing is enabled
 * (Settings › Mail Settings › Event Webhook › the webhook › Signature Verification): base64 DER
 * (SubjectPublicKeyInfo), as `@sendgrid/eventwebhook` takes it. Two keys while a webhook's key is
 * rotated (SendGrid makes a new pair when signing is turned off and on again).
 *
 * **Tolerance: 5 minutes by default**, the window of the gateway's other providers (Stripe,
 * Slack, Zendesk). SendGrid documents none; its timestamp is when it signed the POST, so five
 * minutes leaves room for clock skew and a slow connection. A public-key signature cannot be
 * forged, so the window only bounds how long a captured request could be replayed, and within it
 * the replay key refuses a second copy. SendGrid does not document whether a retry (it retries
 * for up to 24 hours) is signed anew: should retries arrive stale, `toleranceSeconds` (up to an
 * hour) widens the window at little cost.
 *
 * The replay key is a digest of what was signed, not the signature: ECDSA signatures are
 * malleable (`(r, s)` and `(r, n − s)` both verify), so a second copy could carry another one.
 */

const SIGNATURE = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP = 'x-twilio-email-event-webhook-timestamp';

/** SendGrid's verification key, as its console shows it (a PEM block is taken too). */
const PublicKeySchema = z.string().transform((text, context): KeyObject => {
  const key = p256PublicKey(text);
  if (key !== undefined) return key;
  context.addIssue({
    code: 'custom',
    message: 'expected the verification key SendGrid shows: base64 of an ECDSA P-256 public key',
  });
  return z.NEVER;
});

function p256PublicKey(text: string): KeyObject | undefined {
  try {
    const key = text.includes('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({
          key: Buffer.from(text.replace(/\s+/g, ''), 'base64'),
          format: 'der',
          type: 'spki',
        });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return key.asymmetricKeyType === 'ec' && curve === 'prime256v1' ? key : undefined;
  } catch {
    return undefined;
  }
}

export const SendGridOptionsSchema = z.strictObject({
  /** The webhook's verification key; two while it is being rotated. */
  publicKeys: z
    .array(PublicKeySchema)
    .min(1, 'expected a verification key')
    .max(2, 'at most two keys: the current one and the next, during a rotation'),
  toleranceSeconds: toleranceSecondsSchema(300),
});
export type SendGridOptions = z.infer<typeof SendGridOptionsSchema>;

/** Base64 of a DER ECDSA P-256 signature (70 to 72 bytes), nothing else. */
const SignatureSchema = z.string().regex(/^[A-Za-z0-9+/]{80,100}={0,2}$/);

function verifiedBy(key: KeyObject, signed: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', signed, key, signature);
  } catch {
    return false; // not a DER signature at all
  }
}

export const sendgridScheme: VerificationScheme<SendGridOptions> = {
  name: 'sendgrid',
  options: SendGridOptionsSchema,
  verify(request, { publicKeys, toleranceSeconds }) {
    const presented = request.headers[SIGNATURE];
    const timestamp = request.headers[TIMESTAMP];
    if (!presented || !timestamp) {
      return refuse(
        'MISSING_SIGNATURE',
        'X-Twilio-Email-Event-Webhook-Signature and X-Twilio-Email-Event-Webhook-Timestamp are both required: turn on Signature Verification for the webhook',
      );
    }
    const signedAt = UnixSecondsTextSchema.safeParse(timestamp);
    if (!signedAt.success) {
      return refuse('BAD_SIGNATURE', 'X-Twilio-Email-Event-Webhook-Timestamp is not unix seconds');
    }
    if (!SignatureSchema.safeParse(presented).success) {
      return refuse(
        'BAD_SIGNATURE',
        'X-Twilio-Email-Event-Webhook-Signature is not a base64 ECDSA signature',
      );
    }
    const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
    const signature = Buffer.from(presented, 'base64');
    if (!publicKeys.some((key) => verifiedBy(key, signed, signature))) {
      return refuse(
        'BAD_SIGNATURE',
        'X-Twilio-Email-Event-Webhook-Signature does not verify the timestamp and body under any configured verification key',
      );
    }
    const fresh = freshness(
      'X-Twilio-Email-Event-Webhook-Timestamp',
      signedAt.data,
      request.now,
      toleranceSeconds,
    );
    if (!fresh.ok) return fresh;
    return {
      ok: true,
      replay: { key: signedRequestKey(timestamp, request.rawBody), ttlMs: fresh.ttlMs },
    };
  },
};
