import { hash, timingSafeEqual } from 'node:crypto';
import { KEY_CLASSES, type KeyClass } from '@rapport/config';

export type KeySets = Readonly<Record<KeyClass, readonly string[]>>;

/** A request's authenticated caller. `keyId` names the key in metrics and Redis; never the key. */
export interface Caller {
  readonly keyClass: KeyClass;
  readonly keyId: string;
}

export type Identification =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'unknown' };

const BEARER = /^bearer ([\x21-\x7e]+)$/i;
const BASIC = /^basic ([A-Za-z0-9+/]+={0,2})$/i;

/**
 * The key an `Authorization` header presents, parsed strictly: exactly `Bearer <key>` (Rapport's
 * own clients), or HTTP Basic with the key as user and an empty password, `base64(<key>:)`
 * (what Segment's and RudderStack's libraries send). Anything else is `null`: malformed, never
 * a partial match.
 */
export function presentedKey(authorization: string | undefined): string | null | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  const bearer = BEARER.exec(authorization);
  if (bearer) return bearer[1] ?? null;
  const basic = BASIC.exec(authorization);
  if (!basic?.[1]) return null;
  const bytes = Buffer.from(basic[1], 'base64');
  // Node's decoder skips what it cannot read; only a canonical encoding is the one sent.
  if (bytes.toString('base64') !== basic[1]) return null;
  const decoded = bytes.toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && colon === decoded.length - 1 ? decoded.slice(0, colon) : null;
}

/**
 * One-shot, with no Hash object: every request digests its key, and each Hash object is a native
 * handle that the young generation's collection processes one by one when it dies: a tenth to a
 * quarter of each of the gateway's scavenges, and the worst of them (docs/performance.md, issue
 * 26's item 2).
 */
const digest = (key: string) => hash('sha256', key, 'buffer');

/**
 * The configured keys, held as SHA-256 digests and compared in constant time: a digest has a fixed
 * length, so neither its bytes nor the keys' lengths leak through how long a refusal takes, and
 * every configured key is compared on every request (no early exit on a match).
 */
export class KeyRing {
  readonly #entries: readonly { readonly digest: Buffer; readonly caller: Caller }[];

  constructor(keys: KeySets) {
    this.#entries = KEY_CLASSES.flatMap((keyClass) =>
      keys[keyClass].map((key) => {
        const keyDigest = digest(key);
        return { digest: keyDigest, caller: { keyClass, keyId: keyDigest.toString('hex', 0, 8) } };
      }),
    );
  }

  identify(authorization: string | undefined): Identification {
    const key = presentedKey(authorization);
    if (key === undefined) return { ok: false, reason: 'missing' };
    if (key === null) return { ok: false, reason: 'malformed' };
    const presented = digest(key);
    let found: Caller | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, presented)) found ??= entry.caller;
    }
    return found ? { ok: true, caller: found } : { ok: false, reason: 'unknown' };
  }
}
