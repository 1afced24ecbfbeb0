import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SignatureSpec {
  readonly header: string;
  readonly encoding: 'hex' | 'base64';
  readonly prefix?: string;
}

/** HMAC-SHA256 over the raw body, compared in constant time. */
export function signatureMatches(
  spec: SignatureSpec,
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
