import type { Config } from '@rapport/config';
import {
  createInteractionProducer,
  createKafka,
  type DeadLetter,
  type InteractionProducer,
} from '@rapport/kafka';
import { CliError } from './cli-errors.js';

/** Letters per publish: one produce request, well under the producer's flush cap. */
const FLUSH_LETTERS = 500;

/**
 * Dead letters from the CLI, published in groups and only once Kafka acknowledged them. Kafka is
 * reached only when there is a first letter, so a clean import needs nothing but the gateway.
 */
export class DeadLetterSink {
  readonly #config: Config;
  readonly #waiting: DeadLetter[] = [];
  #producer: InteractionProducer | undefined;
  #published = 0;

  constructor(config: Config) {
    this.#config = config;
  }

  get topic(): string {
    return this.#config.kafka.topics.dlq;
  }

  get published(): number {
    return this.#published;
  }

  async add(letter: DeadLetter): Promise<void> {
    this.#waiting.push(letter);
    if (this.#waiting.length >= FLUSH_LETTERS) await this.flush();
  }

  async flush(): Promise<void> {
    const letters = this.#waiting.splice(0);
    if (letters.length === 0) return;
    try {
      this.#producer ??= createInteractionProducer(
        createKafka(this.#config.kafka),
        this.#config.kafka,
      );
      await this.#producer.publishDeadLetters(letters, {
        timeoutMs: this.#config.gateway.publishTimeoutMs,
      });
    } catch (error) {
      throw new CliError(
        'DLQ_UNAVAILABLE',
        `could not dead-letter ${letters.length} rejected row(s) to ${this.topic} (the rejects file has them): ${error instanceof Error ? error.message : String(error)}`,
        { retriable: true, cause: error },
      );
    }
    this.#published += letters.length;
  }

  /** Publishes what is left, then lets go of Kafka. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.#producer?.disconnect();
    }
  }
}
