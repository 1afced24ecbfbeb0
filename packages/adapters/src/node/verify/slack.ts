import { z } from 'zod';
import { signatureMatches } from '../signature.js';
import { freshness, signedRequestKey } from './freshness.js';
import { SecretsSchema, toleranceSecondsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';

/**
 * Slack's signed requests (docs.slack.dev, "Verifying requests from Slack"): `X-Slack-Signature`
 * is `v0=` and the hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`, keyed with
 * the app's signing secret (api.slack.com/apps › the app › Basic Information › App Credentials).
 *
 * A request whose timestamp is more than five minutes from the gateway's clock is refused, as
 * Slack asks; in either direction (Slack's own Bolt only looks back), since a timestamp from the
 * future is no more Slack's than one from the past. Slack signs each retry anew (its last comes
 * five minutes on, which Bolt would otherwise refuse), so the window refuses none of them; within
 * it the gateway refuses a second copy of the same request by `replay`, and the event id a
 * retried event.
 *
 * The Events API checks a Request URL with a signed `url_verification` event: `handshake` answers
 * it with its challenge, as plain text, as Slack documents.
 */

const SIGNATURE = 'x-slack-signature';
const TIMESTAMP = 'x-slack-request-timestamp';

export const SlackOptionsSchema = z.strictObject({
  /** The app's signing secret; two while it is being rotated. */
  secrets: SecretsSchema,
  toleranceSeconds: toleranceSecondsSchema(300),
});
export type SlackOptions = z.infer<typeof SlackOptionsSchema>;

/** `v0=` and the SHA-256 digest in hex, nothing else: a lenient decode would accept trailing junk. */
const SignatureSchema = z.string().regex(/^v0=[0-9a-f]{64}$/i);
/** Unix seconds, as Slack writes them. */
const TimestampSchema = z
  .string()
  .regex(/^\d{1,11}$/)
  .transform((seconds) => Number(seconds) * 1000);

/** The body of Slack's endpoint check: `{ "token", "challenge", "type": "url_verification" }`. */
const UrlVerificationSchema = z.object({
  type: z.literal('url_verification'),
  challenge: z.string().min(1),
});

export const slackScheme: VerificationScheme<SlackOptions> = {
  name: 'slack',
  options: SlackOptionsSchema,
  verify(request, { secrets, toleranceSeconds }) {
    const presented = request.headers[SIGNATURE];
    const timestamp = request.headers[TIMESTAMP];
    if (!presented || !timestamp) {
      return {
        ok: false,
        code: 'MISSING_SIGNATURE',
        message: 'X-Slack-Signature and X-Slack-Request-Timestamp are both required',
      };
    }
    const sentAt = TimestampSchema.safeParse(timestamp);
    if (!sentAt.success || !SignatureSchema.safeParse(presented).success) {
      return {
        ok: false,
        code: 'BAD_SIGNATURE',
        message: sentAt.success
          ? 'X-Slack-Signature is not "v0=" followed by 64 hex digits'
          : 'X-Slack-Request-Timestamp is not unix seconds',
      };
    }
    const signed = Buffer.concat([Buffer.from(`v0:${timestamp}:`, 'utf8'), request.rawBody]);
    const spec = { header: SIGNATURE, encoding: 'hex', prefix: 'v0=' } as const;
    // Every secret is tried, so the time taken does not tell which one matched.
    const matches = secrets.map((secret) => signatureMatches(spec, secret, signed, presented));
    if (!matches.includes(true)) {
      return {
        ok: false,
        code: 'BAD_SIGNATURE',
        message:
          'X-Slack-Signature does not match the timestamp and body under any configured signing secret',
      };
    }
    const fresh = freshness(
      'X-Slack-Request-Timestamp',
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
  handshake(request, _options, verified) {
    // Slack signs its check like any event: an unverified one is no check of ours to answer.
    if (!verified || request.method !== 'POST') return undefined;
    const check = UrlVerificationSchema.safeParse(jsonOf(request.rawBody));
    if (!check.success) return undefined;
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: check.data.challenge };
  },
};

/** The body as JSON, or `undefined`: Slack posts forms too (slash commands, interactivity). */
function jsonOf(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    return undefined;
  }
}
