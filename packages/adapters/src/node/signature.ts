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
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(presented.slice(prefix.length).trim(), spec.encoding);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
