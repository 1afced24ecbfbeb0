import type { Config } from '@rapport/config';
import {
  runBatchConsumer,
  type ConsumedBatch,
  type InteractionProducer,
  type RapportKafka,
  type RunningConsumer,
} from '@rapport/kafka';
import type { Model } from '@rapport/model';
import { instantMs, StampedInteractionSchema, type StampedInteraction } from '@rapport/schema';
import type { Logger } from '@rapport/lifecycle';
import {
  GenerationMovedError,
  Projection,
  type PartitionBatch,
  type Pointer,
  type ReadModel,
} from '@rapport/read-model';
import type { Metrics } from './metrics.js';

export interface FollowerDeps {
  readonly config: Config;
  readonly kafka: RapportKafka;
  readonly producer: Pick<InteractionProducer, 'publishDeadLetters'>;
  readonly store: ReadModel;
  readonly model: Model;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Partition batches handed over at once by kafkajs: every partition of a fetch, so that they are
 * projected together (see Coalescer) rather than in turns.
 */
const PARTITIONS_CONCURRENTLY = 64;
/** How often an idle projector looks whether `rapport replay` moved the pointer. */
const POINTER_POLL_MS = 1_000;

/**
 * Runs the projection for the generation the pointer names, in that generation's consumer group,
 * and follows the pointer when `rapport replay` moves it: a generation is only ever written by its
 * own group, so its per-partition positions and the group's committed offsets always agree.
 */
export class Follower {
  #pointer: Pointer | undefined;
  #consumer: RunningConsumer | undefined;
  #moving: Promise<void> | undefined;
  #stopped = false;
  #poll: NodeJS.Timeout | undefined;

  constructor(private readonly deps: FollowerDeps) {}

  get pointer(): Pointer | undefined {
    return this.#pointer;
  }

  get running(): boolean {
    return this.#consumer !== undefined;
  }

  async start(): Promise<void> {
    await this.#follow(await this.deps.store.pointer());
    // Polled only once the first consumer has joined: joining can take seconds while the group
    // rebalances, and a poll in that time saw no consumer yet and started a second one, a group
    // member of its own that held partitions and was never stopped.
    if (this.#stopped) return;
    this.#poll = setInterval(() => void this.#checkPointer(), POINTER_POLL_MS);
    this.#poll.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    await this.#moving;
    await this.#consumer?.stop();
    this.#consumer = undefined;
  }

  async #follow(pointer: Pointer): Promise<void> {
    const projection = new Coalescer(
      new Projection(this.deps.store, this.deps.model, {
        generation: pointer.generation,
        groupId: pointer.groupId,
        follow: true,
        announce: true,
      }),
    );
    this.#consumer = await runBatchConsumer(this.deps.kafka, {
      groupId: pointer.groupId,
      topic: this.deps.config.kafka.topics.interactions,
      schema: StampedInteractionSchema,
      dlq: { producer: this.deps.producer, source: 'projector' },
      logger: this.deps.logger,
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
      handleBatch: (batch) => this.#project(projection, batch),
    });
    this.#pointer = pointer;
    this.deps.logger.info(
      { generation: pointer.generation, groupId: pointer.groupId },
      `projecting into generation ${pointer.generation} as consumer group ${pointer.groupId}`,
    );
  }

  async #project(projection: Coalescer, batch: ConsumedBatch<StampedInteraction>): Promise<void> {
    try {
      await projection.submit(
        { partition: batch.partition, events: batch.records },
        this.deps.now,
        this.deps.metrics,
      );
    } catch (error) {
      // Nothing of this batch is written to the old generation; the new group starts where the
      // replay left it, so the batch is not lost, only projected by the group that owns it now.
      if (error instanceof GenerationMovedError) {
        this.#moveTo(error.to).catch((failure: unknown) =>
          this.deps.logger.error({ err: failure }, 'could not follow the generation pointer'),
        );
      }
      throw error;
    }
  }

  async #checkPointer(): Promise<void> {
    if (this.#stopped || this.#moving) return;
    try {
      const pointer = await this.deps.store.pointer();
      if (pointer.generation !== this.#pointer?.generation || !this.#consumer) {
        await this.#moveTo(pointer);
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not follow the generation pointer');
    }
  }

  #moveTo(pointer: Pointer): Promise<void> {
    this.#moving ??= (async () => {
      this.deps.logger.info(
        { from: this.#pointer?.generation, to: pointer.generation },
        `readers moved to generation ${pointer.generation}; following`,
      );
      await this.#consumer?.stop();
      this.#consumer = undefined;
      if (!this.#stopped) await this.#follow(pointer);
      this.deps.metrics.moves.inc();
    })().finally(() => {
      this.#moving = undefined;
    });
    return this.#moving;
  }
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
 */
class Coalescer {
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(private readonly projection: Projection) {}

  submit(batch: PartitionBatch, now: () => number, metrics: Metrics): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // The other partitions of the fetch are handed over within the same turn of the loop.
      setImmediate(() => void this.#flush(now, metrics));
    });
  }

  async #flush(now: () => number, metrics: Metrics): Promise<void> {
    this.#scheduled = false;
    const waiting = this.#waiting.splice(0);
    const stopTimer = metrics.batchSeconds.startTimer();
    try {
      const at = now();
      const result = await this.projection.projectAll(
        waiting.map(({ batch }) => batch),
        at,
      );
      metrics.events.inc({ outcome: 'applied' }, result.events - result.duplicates);
      metrics.events.inc({ outcome: 'duplicate' }, result.duplicates);
      metrics.customers.inc(result.customers);
      metrics.conflicts.inc(result.conflicts);
      for (const { batch } of waiting) {
        for (const { value } of batch.events) {
          metrics.freshnessSeconds.observe((at - instantMs(value.receivedAt)) / 1000);
        }
      }
      for (const { resolve } of waiting) resolve();
    } catch (error) {
      for (const { reject } of waiting) reject(error);
    } finally {
      stopTimer();
    }
  }
}
