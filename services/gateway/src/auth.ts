import { ApiError } from './errors';

export interface KeySets {
  readonly writeKeys: readonly string[];
  readonly readKeys: readonly string[];
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (Rapport's own API) or HTTP Basic
 * with the key as user and an empty password (what Segment's and RudderStack's clients send).
 */
export function presentedKey(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const [scheme, credentials] = authorization.split(' ', 2);
  if (credentials === undefined) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return credentials.trim() || undefined;
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
    return user || undefined;
  }
  return undefined;
}

/** Returns the write key of the request, or the 401/403 the request deserves. */
export function requireWriteKey(authorization: string | undefined, keys: KeySets): string {
  const key = presentedKey(authorization);
  if (key === undefined) {
    throw new ApiError(
      401,
      'UNAUTHENTICATED',
      'missing write key: send `Authorization: Bearer <write key>` or HTTP Basic with the key as user',
    );
  }
  if (keys.writeKeys.includes(key)) return key;
  if (keys.readKeys.includes(key)) {
    throw new ApiError(403, 'FORBIDDEN', 'this is a read key; writing needs a write key');
  }
  throw new ApiError(401, 'UNAUTHENTICATED', 'unknown write key');
}
