import type { z } from 'zod';
import type { WebhookSignature } from '../../adapter.js';
import { signatureMatches } from '../signature.js';
import { freshness, signedRequestKey } from './freshness.js';
import type { Verdict, WebhookRequest } from './scheme.js';

/**
 * A provider that signs an HMAC-SHA256 of a timestamp header and the body (Slack, Zendesk): the
 * headers by name, how the signature is written, how the timestamp reads, and what is signed.
 */
export interface TimestampedHmac {
  readonly signature: {
    readonly header: string;
    readonly form: RegExp;
    readonly described: string;
  };
  readonly timestamp: {
    readonly header: string;
    readonly schema: z.ZodType<number, string>;
    readonly described: string;
  };
  readonly digest: Pick<WebhookSignature, 'encoding' | 'prefix'>;
  /** The bytes signed besides the secret: the timestamp header's text and the body. */
  signed(timestamp: string, rawBody: Buffer): Buffer;
}

/** Headers as messages name them: `X-Slack-Signature`. */
const titled = (header: string) =>
  header.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());

/**
 * Verifies such a request: both headers present and well formed, the signature matching one of
 * the secrets (every secret is tried, so the time taken does not tell which), then fresh. A copy
 * is named by what was signed, for as long as it could still be replayed.
 */
export function verifyTimestampedHmac(
  spec: TimestampedHmac,
  request: WebhookRequest,
  {
    secrets,
    toleranceSeconds,
  }: { readonly secrets: readonly string[]; readonly toleranceSeconds: number },
): Verdict {
  const signatureName = titled(spec.signature.header);
  const timestampName = titled(spec.timestamp.header);
  const presented = request.headers[spec.signature.header];
  const timestamp = request.headers[spec.timestamp.header];
  if (!presented || !timestamp) {
    return {
      ok: false,
      code: 'MISSING_SIGNATURE',
      message: `${signatureName} and ${timestampName} are both required`,
    };
  }
  const sentAt = spec.timestamp.schema.safeParse(timestamp);
  if (!sentAt.success || !spec.signature.form.test(presented)) {
    return {
      ok: false,
      code: 'BAD_SIGNATURE',
      message: sentAt.success
        ? `${signatureName} is not ${spec.signature.described}`
        : `${timestampName} is not ${spec.timestamp.described}`,
    };
  }
  const signed = spec.signed(timestamp, request.rawBody);
  const header = { header: spec.signature.header, ...spec.digest };
  const matches = secrets.map((secret) => signatureMatches(header, secret, signed, presented));
  if (!matches.includes(true)) {
    return {
      ok: false,
      code: 'BAD_SIGNATURE',
      message: `${signatureName} does not match the timestamp and body under any configured signing secret`,
    };
  }
  const fresh = freshness(timestampName, sentAt.data, request.now, toleranceSeconds);
  if (!fresh.ok) return fresh;
  return {
    ok: true,
    replay: { key: signedRequestKey(timestamp, request.rawBody), ttlMs: fresh.ttlMs },
  };
}
