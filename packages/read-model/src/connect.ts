import type { Config } from '@rapport/config';
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { RedisClient } from './cluster.js';

/**
 * A connection to the configured Redis, or to the configured Redis Cluster. Every Redis client of
 * Rapport opens here, so all of them reach it alike: the ACL user and password from the URL, TLS
 * for a rediss:// URL, trusting the configured CA when one is given (the system's CAs otherwise).
 * `options` are the caller's own: retries, pipelining, timeouts (each node's, on a Cluster).
 */
export function connectRedis(
  redis: Pick<Config['redis'], 'url' | 'ca' | 'cluster' | 'clusterNodes'>,
  options: RedisOptions = {},
): RedisClient {
  const tls = redis.ca && { tls: { ca: redis.ca } };
  if (!redis.cluster) return quiet(new PasswordSafeRedis(redis.url, { ...options, ...tls }));
  const seed = new URL(redis.url);
  const seeds = [
    { host: seed.hostname, port: Number(seed.port || 6379) },
    ...redis.clusterNodes.map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    }),
  ];
  const { lazyConnect, enableOfflineQueue, retryStrategy } = options;
  return quiet(
    new PasswordSafeCluster(seeds, {
      // Commands of many customers, sent in one tick, go out as one pipeline per node.
      enableAutoPipelining: true,
      // What the caller asked of its connection, asked of the Cluster's too.
      ...(lazyConnect !== undefined && { lazyConnect }),
      ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
      ...(retryStrategy && { clusterRetryStrategy: (times: number) => retryStrategy(times) }),
      redisOptions: {
        ...options,
        ...(seed.username && { username: decodeURIComponent(seed.username) }),
        ...(seed.password && { password: decodeURIComponent(seed.password) }),
        ...(seed.protocol === 'rediss:' && { tls: {} }),
        ...tls,
      },
    }),
  );
}

/**
 * ioredis prints each failed reconnect to stderr when no one listens for its errors: a Redis that
 * is down, which a service waits for at start-up and rides out later, would fill its log with
 * them. The commands sent meanwhile fail with their own errors, and `/readyz` says Redis is down.
 */
function quiet<T extends RedisClient>(redis: T): T {
  redis.on('error', () => undefined);
  return redis;
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
    return quiet(new PasswordSafeRedis({ ...this.options, ...override }));
  }
}

/**
 * ioredis's Cluster client, whose connections to the nodes (its own, of ioredis's class) are kept
 * from showing the password as PasswordSafeRedis is.
 */
class PasswordSafeCluster extends Cluster {
  constructor(
    private readonly seeds: ClusterNode[],
    options: ClusterOptions,
  ) {
    super(seeds, options);
    this.on('+node', hidePasswordOf);
  }

  override duplicate(seeds: ClusterNode[] = this.seeds, override: ClusterOptions = {}): Cluster {
    return quiet(new PasswordSafeCluster(seeds, { ...this.options, ...override }));
  }
}

function hidePasswordOf(node: Redis): void {
  const recover = node.recoverFromFatalError.bind(node);
  node.recoverFromFatalError = (commandError, error, options) => {
    hideAuthArguments(commandError);
    hideAuthArguments(error);
    recover(commandError, error, options);
  };
}

const AuthCommandSchema = z.object({ name: z.literal('auth') });

function hideAuthArguments(error: Error): void {
  if ('command' in error && AuthCommandSchema.safeParse(error.command).success) {
    error.command = { name: 'auth', args: ['(hidden)'] };
  }
}
