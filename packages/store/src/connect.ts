import type { Config } from '@rapport/config';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A connection to the configured Redis. Every Redis client of Rapport opens here, so all of them
 * reach it alike: the ACL user and password from the URL (ioredis reads them there), TLS for a
 * rediss:// URL, trusting the configured CA when one is given (the system's CAs otherwise).
 * `options` are the caller's own: retries, pipelining, timeouts.
 */
export function connectRedis(redis: Config['redis'], options: RedisOptions = {}): Redis {
  return new Redis(redis.url, { ...options, ...(redis.ca && { tls: { ca: redis.ca } }) });
}
