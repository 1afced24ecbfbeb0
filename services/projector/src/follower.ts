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
import type { Logger } from '@rapport/service';
import { GenerationMovedError, Projection, type Pointer, type ReadModel } from '@rapport/store';
import type { Metrics } from './metrics';

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
 * Partitions projected at once by one projector: their Redis round trips overlap with each
 * other's folding, which is where a single Node process spends its time.
 */
const PARTITIONS_CONCURRENTLY = 4;
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
  readonly #poll: NodeJS.Timeout;

  constructor(private readonly deps: FollowerDeps) {
    this.#poll = setInterval(() => void this.#checkPointer(), POINTER_POLL_MS);
    this.#poll.unref();
  }

  get pointer(): Pointer | undefined {
    return this.#pointer;
  }

  get running(): boolean {
    return this.#consumer !== undefined;
  }

  async start(): Promise<void> {
    await this.#follow(await this.deps.store.pointer());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    await this.#moving;
    await this.#consumer?.stop();
    this.#consumer = undefined;
  }

  async #follow(pointer: Pointer): Promise<void> {
    const projection = new Projection(this.deps.store, this.deps.model, {
      generation: pointer.generation,
      groupId: pointer.groupId,
      follow: true,
      announce: true,
    });
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

  async #project(projection: Projection, batch: ConsumedBatch<StampedInteraction>): Promise<void> {
    const { metrics } = this.deps;
    const stopTimer = metrics.batchSeconds.startTimer();
    try {
      const now = this.deps.now();
      const result = await projection.project(batch.partition, batch.records, now);
      metrics.events.inc({ outcome: 'applied' }, result.events - result.duplicates);
      metrics.events.inc({ outcome: 'duplicate' }, result.duplicates);
      metrics.customers.inc(result.customers);
      metrics.conflicts.inc(result.conflicts);
      for (const record of batch.records) {
        metrics.freshnessSeconds.observe((now - instantMs(record.value.receivedAt)) / 1000);
      }
    } catch (error) {
      // Nothing of this batch is written to the old generation; the new group starts where the
      // replay left it, so the batch is not lost, only projected by the group that owns it now.
      if (error instanceof GenerationMovedError) {
        this.#moveTo(error.to).catch((failure: unknown) =>
          this.deps.logger.error({ err: failure }, 'could not follow the generation pointer'),
        );
      }
      throw error;
    } finally {
      stopTimer();
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
