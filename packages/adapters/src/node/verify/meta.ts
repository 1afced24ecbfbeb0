import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { WebhookSignature } from '../../adapter.js';
import { signatureMatches } from '../signature.js';
import { SecretsSchema } from './options.js';
import type { HandshakeAnswer, VerificationScheme } from './scheme.js';

/**
 * Meta's webhooks (Facebook Pages, Instagram, WhatsApp Cloud API; developers.facebook.com/docs/
 * graph-api/webhooks/getting-started): every event notification carries `X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256 of the payload>` keyed with the app secret. Meta signs the payload as it
 * sends it (non-ASCII escaped as `\uXXXX`), so only the raw bytes verify, never a re-serialised
 * body. No timestamp: a retried notification is deduplicated by its message or comment id.
 *
 * Subscribing an endpoint sends an unsigned `GET ?hub.mode=subscribe&hub.verify_token=…&
 * hub.challenge=…`: the endpoint proves it is the one configured by knowing the verify token (a
 * string of your choosing, typed into the App Dashboard) and answers the challenge verbatim.
 */

export const MetaOptionsSchema = z.strictObject({
  /** The app secret (App Dashboard › App settings › Basic); two while it is being reset. */
  secrets: SecretsSchema,
  /** The Verify Token typed into the App Dashboard's Webhooks product for this callback URL. */
  verifyToken: z.string().min(1, 'expected the verify token given to Meta'),
});
export type MetaOptions = z.infer<typeof MetaOptionsSchema>;

const SIGNATURE: WebhookSignature = {
  header: 'x-hub-signature-256',
  encoding: 'hex',
  prefix: 'sha256=',
};
/** Exactly the prefix and 64 hex digits: a lenient hex decode would ignore trailing junk. */
const SIGNATURE_FORMAT = /^sha256=[0-9a-f]{64}$/i;

const TEXT = 'text/plain; charset=utf-8';

export const metaScheme: VerificationScheme<MetaOptions> = {
  name: 'meta',
  options: MetaOptionsSchema,
  verify(request, options) {
    const presented = request.headers[SIGNATURE.header];
    if (!presented) {
      return {
        ok: false,
        code: 'MISSING_SIGNATURE',
        message: 'missing X-Hub-Signature-256 header',
      };
    }
    const wellFormed = SIGNATURE_FORMAT.test(presented);
    if (
      wellFormed &&
      options.secrets.some((secret) =>
        signatureMatches(SIGNATURE, secret, request.rawBody, presented),
      )
    ) {
      return { ok: true };
    }
    return {
      ok: false,
      code: 'BAD_SIGNATURE',
      message: wellFormed
        ? "X-Hub-Signature-256 does not match the channel's app secret"
        : 'X-Hub-Signature-256 is not "sha256=" followed by 64 hex digits',
    };
  },
  /**
   * Meta's subscription check, unsigned, so authenticated here by the verify token whatever the
   * gateway verified. A wrong token (or mode) is 403, as Meta's documentation asks; any other GET
   * or any POST is not a handshake.
   */
  handshake(request, options): HandshakeAnswer | undefined {
    if (request.method !== 'GET') return undefined;
    const {
      'hub.mode': mode,
      'hub.verify_token': token,
      'hub.challenge': challenge,
    } = request.query;
    if (mode === undefined) return undefined;
    if (mode !== 'subscribe' || token === undefined || !sameToken(token, options.verifyToken)) {
      return {
        status: 403,
        contentType: TEXT,
        body: "hub.verify_token does not match the channel's verify token",
      };
    }
    if (challenge === undefined) {
      return { status: 400, contentType: TEXT, body: 'missing hub.challenge' };
    }
    return { status: 200, contentType: TEXT, body: challenge };
  },
};

/**
 * Whether a presented token equals the configured one, in time that depends on neither: both are
 * hashed to one length first, so not even the configured token's length shows.
 */
function sameToken(presented: string, configured: string): boolean {
  const hash = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(hash(presented), hash(configured));
}
