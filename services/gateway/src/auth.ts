import { requireKey, type KeySets } from '@rapport/service';

export { presentedKey, type KeySets } from '@rapport/service';

/** Returns the write key of the request, or the 401/403 the request deserves. */
export function requireWriteKey(authorization: string | undefined, keys: KeySets): string {
  return requireKey(authorization, keys, 'write');
}
