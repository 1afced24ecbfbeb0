import { z } from 'zod';
import { UnixSecondsTextSchema } from './freshness.js';
import { SecretsSchema, toleranceSecondsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';
import { verifyTimestampedHmac, type TimestampedHmac } from './timestamped-hmac.js';

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

/** What Slack signs, and how it writes it. */
const SIGNED: TimestampedHmac = {
  signature: {
    header: SIGNATURE,
    form: /^v0=[0-9a-f]{64}$/i,
    described: '"v0=" followed by 64 hex digits',
  },
  timestamp: { header: TIMESTAMP, schema: UnixSecondsTextSchema, described: 'unix seconds' },
  digest: { encoding: 'hex', prefix: 'v0=' },
  signed: (timestamp, rawBody) => Buffer.concat([Buffer.from(`v0:${timestamp}:`, 'utf8'), rawBody]),
};

/** The body of Slack's endpoint check: `{ "token", "challenge", "type": "url_verification" }`. */
const UrlVerificationSchema = z.object({
  type: z.literal('url_verification'),
  challenge: z.string().min(1),
});

export const slackScheme: VerificationScheme<SlackOptions> = {
  name: 'slack',
  options: SlackOptionsSchema,
  verify: (request, options) => verifyTimestampedHmac(SIGNED, request, options),
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
