import type { Config } from '@rapport/config';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';

/**
 * A connection to the configured Redis. Every Redis client of Rapport opens here, so all of them
 * reach it alike: the ACL user and password from the URL (ioredis reads them there), TLS for a
 * rediss:// URL, trusting the configured CA when one is given (the system's CAs otherwise).
 * `options` are the caller's own: retries, pipelining, timeouts.
 */
export function connectRedis(
  redis: Pick<Config['redis'], 'url' | 'ca'>,
  options: RedisOptions = {},
): Redis {
  return new PasswordSafeRedis(redis.url, {
    ...options,
    ...(redis.ca && { tls: { ca: redis.ca } }),
  });
}

/**
 * ioredis's client, except that its errors never carry the password. ioredis puts a failed
 * command's arguments on its error (`command.args`), and AUTH's are the user and password, so a
 * log line with a refused connection's error (pino prints every property) would show them. A
 * refused AUTH reaches everyone (pending commands, 'error' listeners) through
 * recoverFromFatalError, which hides them first; duplicates (the API's stream readers) are of
 * this class too.
 */
class PasswordSafeRedis extends Redis {
  override recoverFromFatalError(
    ...[commandError, error, options]: Parameters<Redis['recoverFromFatalError']>
  ): void {
    hideAuthArguments(commandError);
    hideAuthArguments(error);
    super.recoverFromFatalError(commandError, error, options);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new PasswordSafeRedis({ ...this.options, ...override });
  }
}

const AuthCommandSchema = z.object({ name: z.literal('auth') });

function hideAuthArguments(error: Error): void {
  if ('command' in error && AuthCommandSchema.safeParse(error.command).success) {
    error.command = { name: 'auth', args: ['(hidden)'] };
  }
}
