import { KafkaError } from './errors.js';

/** A partition whose records in hand have not been finished yet. */
export interface PartitionWait {
  readonly topic: string;
  readonly partition: number;
  /** How long its records have waited without the partition advancing. */
  readonly waitingMs: number;
  /** Waiting for longer than the threshold (RAPPORT_STALL_AFTER): readiness fails. */
  readonly stalled: boolean;
}

/**
 * Since when each partition's records in hand have waited without it advancing: from the start
 * of its batch, or the last record of it finished (handled or dead-lettered), until the batch is
 * left. Whatever keeps it there counts: a batch failing, retried or waiting out an outage, or a
 * handler that waits inside itself (the bridge through a Temporal outage).
 */
export class Stalls {
  readonly #since = new Map<string, { topic: string; partition: number; sinceMs: number }>();

  constructor(
    private readonly thresholdMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch of the partition is in hand, or it advanced: its records wait from now. */
  waitFromNow(topic: string, partition: number): void {
    this.#since.set(`${topic}/${partition}`, { topic, partition, sinceMs: this.now() });
  }

  /** The partition's batch was left: nothing of it waits here. */
  left(topic: string, partition: number): void {
    this.#since.delete(`${topic}/${partition}`);
  }

  /** The waiting partitions, longest first. */
  waiting(): PartitionWait[] {
    const now = this.now();
    return [...this.#since.values()]
      .map(({ topic, partition, sinceMs }) => ({
        topic,
        partition,
        waitingMs: now - sinceMs,
        stalled: now - sinceMs > this.thresholdMs,
      }))
      .sort((a, b) => b.waitingMs - a.waitingMs);
  }

  /** A readiness check: rejects, naming them, while any partition is stalled. */
  check(): Promise<void> {
    const stalled = this.waiting().filter((wait) => wait.stalled);
    if (stalled.length === 0) return Promise.resolve();
    const named = stalled
      .map((wait) => `${wait.topic}/${wait.partition} for ${Math.round(wait.waitingMs / 1000)} s`)
      .join(', ');
    return Promise.reject(new KafkaError('KAFKA_PARTITION_STALLED', `stalled: ${named}`));
  }
}
