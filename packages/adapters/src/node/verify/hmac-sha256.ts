import type { z } from 'zod';
import { GENERIC_SIGNATURE, WebhookSignatureSchema } from '../../adapter.js';
import { signatureMatches } from '../signature.js';
import { SecretsSchema } from './options.js';
import type { VerificationScheme } from './scheme.js';

const HmacSha256OptionsSchema = WebhookSignatureSchema.extend({
  header: WebhookSignatureSchema.shape.header.default(GENERIC_SIGNATURE.header),
  encoding: WebhookSignatureSchema.shape.encoding.default(GENERIC_SIGNATURE.encoding),
  secrets: SecretsSchema,
});

/**
 * Rapport's generic scheme: an HMAC-SHA256 of the raw body under the channel's secret, in the
 * adapter's header (`x-rapport-signature`, hex, unless a mapping file names another), compared in
 * constant time. It has no timestamp, so a replay is caught by the events' ids alone. A missing
 * signature is a `BAD_SIGNATURE` too, as it always was for this scheme.
 */
export const hmacSha256Scheme: VerificationScheme<z.infer<typeof HmacSha256OptionsSchema>> = {
  name: 'hmac-sha256',
  options: HmacSha256OptionsSchema,
  verify(request, { secrets, ...signature }) {
    const presented = request.headers[signature.header.toLowerCase()];
    if (secrets.some((secret) => signatureMatches(signature, secret, request.rawBody, presented))) {
      return { ok: true };
    }
    return {
      ok: false,
      code: 'BAD_SIGNATURE',
      message: `missing or wrong ${signature.header} signature`,
    };
  },
};
