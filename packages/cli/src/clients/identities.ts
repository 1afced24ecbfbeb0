import type { Config } from '@rapport/config';
import { Identities, identitiesOptions } from '@rapport/identity';
import { connectRedis } from '@rapport/read-model';

/**
 * The identity map and suppression list on a connection of its own, for a command to check
 * before it shows anything of a customer's (an erased one shows nothing). `close` when done.
 */
export function openIdentities(config: Config): Identities & { close(): void } {
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 2, lazyConnect: true });
  const identities = new Identities(redis, identitiesOptions(config));
  return Object.assign(identities, { close: () => redis.disconnect() });
}
