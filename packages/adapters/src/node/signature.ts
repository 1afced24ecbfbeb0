import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookSignature } from '../adapter.js';

/** The header a sender adds: HMAC-SHA256 of the exact body under the channel's secret. */
export function signatureHeader(
  spec: WebhookSignature,
  secret: string,
  body: string | Buffer,
): Record<string, string> {
  const digest = createHmac('sha256', secret).update(body).digest(spec.encoding);
  return { [spec.header]: `${spec.prefix ?? ''}${digest}` };
}

/**
 * A SHA-256 digest exactly as each encoding writes it. Node's decoders skip what they cannot read
 * (`…zz` after the hex, base64's spare bits), so a lenient decode would let one digest be spelled
 * many ways; only its one spelling (either case of hex) is read.
 */
const DIGEST_TEXT: Record<WebhookSignature['encoding'], RegExp> = {
  hex: /^[0-9a-fA-F]{64}$/,
  base64: /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/,
};

/** HMAC-SHA256 over the raw body, compared in constant time. */
export function signatureMatches(
  spec: WebhookSignature,
  secret: string,
  rawBody: Buffer,
  presented: string | undefined,
): boolean {
  if (presented === undefined) return false;
  const prefix = spec.prefix ?? '';
  if (!presented.startsWith(prefix)) return false;
  const text = presented.slice(prefix.length).trim();
  if (!DIGEST_TEXT[spec.encoding].test(text)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(text, spec.encoding);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
