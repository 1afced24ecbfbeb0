/**
 * What every Rapport HTTP service shares, without depending on any HTTP framework: the one
 * error shape and API-key authentication.
 */

/** One thing wrong with a request: where (dotted path, `''` for the whole) and what. */
export interface HttpIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * An answer a service gives on purpose. Its JSON is the one error shape every Rapport HTTP
 * service uses: `{ "error": { "code", "message", "issues": [{ "path", "message" }] } }`.
 */
export class ApiError<Code extends string = string> extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    readonly issues: readonly HttpIssue[] = [],
    /** Seconds, sent as `Retry-After` on 429 and 503 so well-behaved clients back off. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get retriable(): boolean {
    return this.retryAfterSeconds !== undefined;
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, issues: this.issues } };
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (Rapport's own APIs) or HTTP Basic
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

export interface KeySets {
  readonly writeKeys: readonly string[];
  readonly readKeys: readonly string[];
}

/**
 * Returns the key of the request if it is one of `kind`, else the 401 (missing or unknown key)
 * or 403 (a key of the other kind: read and write keys are not interchangeable) it deserves.
 */
export function requireKey(
  authorization: string | undefined,
  keys: KeySets,
  kind: 'read' | 'write',
): string {
  const key = presentedKey(authorization);
  if (key === undefined) {
    throw new ApiError(
      401,
      'UNAUTHENTICATED',
      kind === 'write'
        ? 'missing write key: send `Authorization: Bearer <write key>` or HTTP Basic with the key as user'
        : 'missing read key: send `Authorization: Bearer <read key>`',
    );
  }
  const [accepted, other] =
    kind === 'write' ? [keys.writeKeys, keys.readKeys] : [keys.readKeys, keys.writeKeys];
  if (accepted.includes(key)) return key;
  if (other.includes(key)) {
    const otherKind = kind === 'write' ? 'read' : 'write';
    throw new ApiError(
      403,
      'FORBIDDEN',
      `this is a ${otherKind} key; ${kind === 'write' ? 'writing' : 'reading'} needs a ${kind} key`,
    );
  }
  throw new ApiError(401, 'UNAUTHENTICATED', `unknown ${kind} key`);
}
