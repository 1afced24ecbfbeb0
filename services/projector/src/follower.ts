import type { Config } from '@rapport/config';
import type { InteractionProducer, PartitionWait, RapportKafka } from '@rapport/kafka';
import type { Logger } from '@rapport/lifecycle';
import type { Model } from '@rapport/model';
import {
  projectFromLog,
  type LogProjection,
  type Pointer,
  type Projected,
  type ReadModel,
} from '@rapport/read-model';
import { instantMs } from '@rapport/schema';
import type { Metrics } from './metrics.js';

export interface FollowerDeps {
  readonly config: Config;
  readonly kafka: RapportKafka;
  readonly producer: Pick<InteractionProducer, 'publishDeadLetters'>;
  readonly readModel: ReadModel;
  readonly model: Model;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
}

/** How often an idle projector looks whether `rapport replay` moved the pointer. */
const POINTER_POLL_MS = 1_000;

/**
 * Projects the log into the generation the pointer names, and follows the pointer when
 * `rapport replay` moves it: the projection stops at the switch (GenerationMovedError) and a new
 * one starts in the new generation's consumer group, where the replay left off.
 */
export class Follower {
  #pointer: Pointer | undefined;
  #projection: LogProjection | undefined;
  #moving: Promise<void> | undefined;
  #stopped = false;
  #poll: NodeJS.Timeout | undefined;

  constructor(private readonly deps: FollowerDeps) {}

  get pointer(): Pointer | undefined {
    return this.#pointer;
  }

  get running(): boolean {
    return this.#projection !== undefined;
  }

  /** Partitions with records in hand, and how long they have waited, in the generation followed now. */
  waiting(): readonly PartitionWait[] {
    return this.#projection?.waiting() ?? [];
  }

  /** A readiness check: in a consumer group, and no partition of it stalled. */
  ready(): Promise<void> {
    return this.#projection === undefined
      ? Promise.reject(new Error('not in a consumer group (following a replay?)'))
      : this.#projection.ready();
  }

  async start(): Promise<void> {
    const { generations } = this.deps.readModel;
    // A new store's first generation is built with the configured index shard count; any other
    // keeps its own until a replay builds the next one.
    const pointer = await generations.establish();
    const notice = generations.shardCountNotice(pointer);
    if (notice !== undefined) this.deps.logger.warn(notice);
    await this.#follow(pointer);
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
    await this.#projection?.stop();
    this.#projection = undefined;
  }

  async #follow(pointer: Pointer): Promise<void> {
    const { config, kafka, producer, readModel, model, logger, now } = this.deps;
    this.#projection = await projectFromLog(kafka, readModel, model, {
      topic: config.kafka.topics.interactions,
      into: pointer,
      follow: true,
      announce: true,
      dlq: { producer, source: 'projector', onLettered: this.deps.metrics.deadLettered },
      now,
      recentWrites: config.projector.cacheSize,
      logger,
      onProjected: (projected) => this.#observe(projected),
      // The new group starts where the replay left it: the batch is not lost, only projected by
      // the group that owns it now.
      onGenerationMoved: (to) => {
        this.#moveTo(to).catch((failure: unknown) =>
          logger.error({ err: failure }, 'could not follow the generation pointer'),
        );
      },
    });
    this.#pointer = pointer;
    logger.info(
      { generation: pointer.generation, groupId: pointer.groupId },
      `projecting into generation ${pointer.generation} as consumer group ${pointer.groupId}`,
    );
  }

  #observe({ result, batches, at, seconds }: Projected): void {
    const { metrics } = this.deps;
    metrics.batchSeconds.observe(seconds);
    if (result === undefined) return;
    metrics.events.inc({ outcome: 'applied' }, result.events - result.duplicates);
    metrics.events.inc({ outcome: 'duplicate' }, result.duplicates);
    metrics.customers.inc(result.customers);
    metrics.conflicts.inc(result.conflicts);
    for (const { events } of batches) {
      for (const { value } of events) {
        metrics.freshnessSeconds.observe((at - instantMs(value.receivedAt)) / 1000);
      }
    }
  }

  async #checkPointer(): Promise<void> {
    if (this.#stopped || this.#moving) return;
    try {
      const pointer = await this.deps.readModel.generations.pointer();
      if (pointer.generation !== this.#pointer?.generation || !this.#projection) {
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
      await this.#projection?.stop();
      this.#projection = undefined;
      if (!this.#stopped) await this.#follow(pointer);
      this.deps.metrics.moves.inc();
    })().finally(() => {
      this.#moving = undefined;
    });
    return this.#moving;
  }
}
