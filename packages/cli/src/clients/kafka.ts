import type { Config } from '@rapport/config';
import {
  createInteractionProducer,
  createKafka,
  DeadLetterSchema,
  parseRecord,
  readTopic,
  type ConsumedRecord,
  type DeadLetter,
  type InteractionProducer,
} from '@rapport/kafka';
import type { Issue } from '@rapport/schema';
import { z } from 'zod';
import { CliError } from '../cli-errors.js';
import { openIdentities } from './identities.js';

/** Where a dead letter sits on the topic. */
export interface LetterRef {
  readonly partition: number;
  readonly offset: string;
  readonly source: string;
}

export type ListedLetter = LetterRef & {
  readonly timestampMs: number;
} & (
    | { readonly ok: true; readonly letter: DeadLetter }
    /** A record on the topic that is not a dead letter: shown, never hidden. */
    | { readonly ok: false; readonly issues: readonly Issue[]; readonly raw: string }
  );

/**
 * Every record of the dead-letter topic, from its start to its end now, but those of erased
 * customers: they stay on the topic until its retention expires, and no reader shows or replays
 * them (docs/identity.md). A letter is theirs when it names them, or its original event does.
 */
export async function* readDeadLetters(config: Config): AsyncGenerator<ListedLetter> {
  const kafka = createKafka(config.kafka);
  const identities = openIdentities(config);
  const erased = new Map<string, boolean>();
  try {
    for await (const record of readTopic(kafka, config.kafka.topics.dlq)) {
      const letter = listed(record);
      const id = letter.ok ? customerOf(letter.letter) : undefined;
      if (id !== undefined && !erased.has(id)) {
        erased.set(id, (await identities.erased([id])).has(id));
      }
      if (id === undefined || erased.get(id) !== true) yield letter;
    }
  } finally {
    identities.close();
  }
}

const NamedSchema = z.object({ customerId: z.string() });

/** The customer a letter is about: named by it, or by the event it carries, if either does. */
function customerOf(letter: DeadLetter): string | undefined {
  if (letter.customerId !== undefined) return letter.customerId;
  try {
    const named = NamedSchema.safeParse(JSON.parse(letter.original));
    return named.success ? named.data.customerId : undefined;
  } catch {
    return undefined;
  }
}

function listed(record: ConsumedRecord): ListedLetter {
  const at = {
    partition: record.partition,
    offset: record.offset,
    timestampMs: record.timestampMs,
  };
  const parsed = parseRecord(DeadLetterSchema, record);
  if (parsed.ok) return { ...at, source: parsed.value.source, ok: true, letter: parsed.value };
  return {
    ...at,
    source: '(unreadable)',
    ok: false,
    issues: parsed.issues,
    raw: record.value ?? '',
  };
}

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

  constructor(config: Config) {
    this.#config = config;
  }

  get topic(): string {
    return this.#config.kafka.topics.dlq;
  }

  async add(letter: DeadLetter): Promise<void> {
    this.#waiting.push(letter);
    if (this.#waiting.length >= FLUSH_LETTERS) await this.#flush();
  }

  /** Publishes what is left, then lets go of Kafka. */
  async close(): Promise<void> {
    try {
      await this.#flush();
    } finally {
      await this.#producer?.disconnect();
    }
  }

  async #flush(): Promise<void> {
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
  }
}
