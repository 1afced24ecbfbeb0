import type { Config } from '@rapport/config';
import { Identities } from '@rapport/identity';
import type { Model } from '@rapport/model';
import type { RedisClient } from './cluster.js';
import { connectRedis } from './connect.js';
import { Generations } from './generations.js';
import { KeySpace } from './keys.js';
import { ReadModelReader } from './reader.js';
import { defineScripts } from './scripts.js';
import { ShardCounts } from './shards.js';
import { ReadModelWriter, type WriterLimits } from './writer.js';

export interface ReadModelOptions extends WriterLimits {
  readonly keyPrefix: string;
  /** The consumer group that feeds generation 0, the one before any replay. */
  readonly groupId: string;
  /** The key of the suppression list's hashes (RAPPORT_ERASURE_KEY). */
  readonly erasureKey: string;
  /** Index shards of the generations this process builds (RAPPORT_REDIS_INDEX_SHARDS). */
  readonly indexShards: number;
}

/**
 * The Redis read model on one connection, in three parts with one job each: the `writer` a
 * projection folds into, the `reader` the query API serves from, and the `generations` that
 * `rapport replay` builds and switches. Every read parses.
 */
export class ReadModel {
  readonly keys: KeySpace;
  readonly writer: ReadModelWriter;
  readonly reader: ReadModelReader;
  readonly generations: Generations;
  /** Who is one person, and who was erased: what projections skip (packages/identity). */
  readonly identities: Identities;

  constructor(
    readonly redis: RedisClient,
    model: Model,
    options: ReadModelOptions,
  ) {
    defineScripts(redis);
    this.keys = new KeySpace(options.keyPrefix);
    // Shared: what the generations parse and allocate is what the writer and reader use.
    const counts = new ShardCounts(options.indexShards);
    this.generations = new Generations(redis, this.keys, options.groupId, counts);
    this.writer = new ReadModelWriter(redis, model, this.keys, this.generations, counts, options);
    this.reader = new ReadModelReader(redis, model, this.keys, counts);
    this.identities = new Identities(redis, {
      keyPrefix: options.keyPrefix,
      erasureKey: options.erasureKey,
    });
  }

  /** Closes the connection once the commands sent are answered. */
  async close(): Promise<void> {
    await this.redis.quit();
  }
}

/**
 * A read model on its own connection to the configured Redis. Writers pipeline explicitly; no
 * auto-pipelining, because ioredis would copy every defined script onto a new pipeline for each
 * tick's commands, which for the query API is one pipeline per request (docs/read-side.md §9).
 */
export function connectReadModel(config: Config, model: Model): ReadModel {
  const redis = connectRedis(config.redis, { maxRetriesPerRequest: 2 });
  return new ReadModel(redis, model, readModelOptions(config));
}

/** The read model's options as configured (one config, parsed once at start-up). */
export function readModelOptions(config: Config): ReadModelOptions {
  return {
    keyPrefix: config.redis.keyPrefix,
    ...config.readModel,
    groupId: config.projector.groupId,
    erasureKey: config.identity.erasureKey,
    waitReplicas: config.redis.waitReplicas,
  };
}
