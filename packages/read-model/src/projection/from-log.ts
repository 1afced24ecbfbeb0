import {
  runBatchConsumer,
  type ConsumedBatch,
  type DeadLetterTarget,
  type KafkaLogger,
  type PartitionWait,
  type RapportKafka,
} from '@rapport/kafka';
import type { Model } from '@rapport/model';
import { StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import { pingEveryNode } from '../cluster.js';
import { GenerationMovedError } from '../errors.js';
import type { Pointer } from '../generations.js';
import type { ReadModel } from '../read-model.js';
import type { PartitionBatch } from './layers.js';
import { Projection, type ProjectionResult } from './projection.js';

/** What one projection of a fetch came to, for metrics. */
export interface Projected {
  /** Undefined when it failed (the fetch is redelivered). */
  readonly result: ProjectionResult | undefined;
  readonly batches: readonly PartitionBatch[];
  /** The `now` the batches were projected at. */
  readonly at: number;
  readonly seconds: number;
}

export interface LogProjectionOptions {
  readonly topic: string;
  /** The generation written and the consumer group that feeds it. */
  readonly into: Pointer;
  /** Stop at a generation switch (a live projector); see ProjectionOptions. */
  readonly follow: boolean;
  readonly announce: boolean;
  readonly dlq: DeadLetterTarget;
  readonly now: () => number;
  readonly recentWrites?: number;
  readonly logger?: KafkaLogger;
  readonly onProjected?: (projected: Projected) => void;
  /**
   * With `follow`, readers moved to another generation: nothing of the batch was written here,
   * and it is redelivered to this group until the caller stops it and follows the pointer.
   */
  readonly onGenerationMoved?: (to: Pointer) => void;
}

export interface LogProjection {
  readonly groupId: string;
  /** From now on, changes go to the stream: readers have moved to this generation. */
  announceChanges(): void;
  /** Finishes the fetch in flight, commits what it resolved, leaves the group. */
  stop(): Promise<void>;
  /** Partitions with records in hand, and how long they have waited (RunningConsumer.waiting). */
  waiting(): readonly PartitionWait[];
  /** Rejects while a partition is stalled (RunningConsumer.ready). */
  ready(): Promise<void>;
}

/**
 * Partition batches handed over at once by kafkajs: every partition of a fetch, so that they are
 * projected together (see Coalescer) rather than in turns.
 */
const PARTITIONS_CONCURRENTLY = 64;

/**
 * Feeds one generation of the read model from the interaction log, in that generation's own
 * consumer group: a generation is only ever written by its group, so its per-partition
 * positions and the group's committed offsets always agree. The live projector and
 * `rapport replay` both run their projection through here.
 */
export async function projectFromLog(
  kafka: RapportKafka,
  readModel: ReadModel,
  model: Model,
  options: LogProjectionOptions,
): Promise<LogProjection> {
  const { into, follow, announce, recentWrites } = options;
  const projection = new Projection(readModel.writer, model, {
    ...into,
    follow,
    announce,
    identities: readModel.identities,
    ...(recentWrites === undefined ? {} : { recentWrites }),
  });
  const coalescer = new Coalescer(projection, options.now, options.onProjected);
  const consumer = await runBatchConsumer(kafka, {
    groupId: into.groupId,
    topic: options.topic,
    schema: StampedInteractionSchema,
    dlq: options.dlq,
    ...(options.logger && { logger: options.logger }),
    fromBeginning: true,
    partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    // What a projection needs: every Redis master (a Cluster's failover is waited out, never
    // taken for records to dead-letter), and (following) readers still on this generation, so
    // that a switch is waited out by the follower too.
    probe: async () => {
      await pingEveryNode(readModel.redis);
      const pointer = await readModel.generations.pointer();
      if (follow && pointer.generation !== into.generation) {
        throw new GenerationMovedError(into.generation, pointer);
      }
    },
    handleBatch: async (batch: ConsumedBatch<StampedInteraction>) => {
      try {
        await coalescer.submit({ partition: batch.partition, events: batch.records });
      } catch (error) {
        if (error instanceof GenerationMovedError) options.onGenerationMoved?.(error.to);
        throw error;
      }
    },
  });
  return {
    groupId: consumer.groupId,
    announceChanges: () => projection.announceChanges(),
    stop: () => consumer.stop(),
    waiting: () => consumer.waiting(),
    ready: () => consumer.ready(),
  };
}

interface Waiting {
  readonly batch: PartitionBatch;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * kafkajs hands every partition of a fetch to its own concurrent `eachBatch` call; they are
 * gathered here and projected in one go (three Redis round trips per fetch, not per partition).
 * kafkajs fetches again only once every batch of a fetch is done, so with one broker there is one
 * projection at a time; with several, their fetches may overlap, on different partitions.
 * When the fetch fails as one, each batch is projected alone, so that a failure is its own
 * batch's: a record that fails for a cause of its own (a customer Redis refuses) fails its
 * partition only, which the consumer then handles record by record, and the others go on.
 */
class Coalescer {
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(
    private readonly projection: Projection,
    private readonly now: () => number,
    private readonly onProjected: ((projected: Projected) => void) | undefined,
  ) {}

  submit(batch: PartitionBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // The other partitions of the fetch are handed over within the same turn of the loop.
      setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const waiting = this.#waiting.splice(0);
    try {
      await this.#project(waiting.map(({ batch }) => batch));
      for (const { resolve } of waiting) resolve();
    } catch (error) {
      // A switch of generation, or a single batch, is every batch's failure as it is.
      if (error instanceof GenerationMovedError || waiting.length === 1) {
        for (const { reject } of waiting) reject(error);
        return;
      }
      await Promise.all(
        waiting.map(({ batch, resolve, reject }) => this.#project([batch]).then(resolve, reject)),
      );
    }
  }

  async #project(batches: readonly PartitionBatch[]): Promise<void> {
    const started = performance.now();
    const at = this.now();
    let result: ProjectionResult | undefined;
    try {
      result = await this.projection.projectAll(batches, at);
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.onProjected?.({ result, batches, at, seconds });
    }
  }
}
