import { parseWith, type ParseResult } from '@rapport/schema';
import type { KafkaMessage } from 'kafkajs';
import type { z } from 'zod';

/** One record as read from a topic, before anything is assumed about its value. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offsets are 64-bit: kept as the decimal string kafkajs gives. */
  readonly offset: string;
  readonly key: string | null;
  /** The value as text (bytes that are not UTF-8 show as U+FFFD); `null` for a tombstone. */
  readonly value: string | null;
  /** The value's bytes exactly as stored, for what must be kept verbatim (dead letters). */
  readonly bytes: Buffer | null;
  readonly timestampMs: number;
}

/** A record whose value parsed with the consumer's schema. */
export interface ParsedRecord<T> extends Omit<ConsumedRecord, 'value' | 'bytes'> {
  readonly value: T;
}

export function toConsumedRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
): ConsumedRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value === null ? null : message.value.toString('utf8'),
    bytes: message.value,
    timestampMs: Number(message.timestamp),
  };
}

/**
 * The record with its parsed value, field by field: a rest-and-spread copy given its value back
 * costs every record a hidden class of its own on Node 20, whose garbage kept the records alive
 * through the young generation's collections (docs/performance.md, the spreads).
 */
export function parsedRecord<T>(record: ConsumedRecord, value: T): ParsedRecord<T> {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value,
    timestampMs: record.timestampMs,
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of the bytes, or `undefined` when they are not valid UTF-8 (and so not our JSON). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Parses a record's value as JSON and then with the schema; every problem comes back as data. */
export function parseRecord<T>(schema: z.ZodType<T>, record: ConsumedRecord): ParseResult<T> {
  if (record.bytes === null) return failure('the record has no value (a tombstone)');
  const text = decodeUtf8(record.bytes);
  if (text === undefined) return failure('the value is not UTF-8 text');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return failure(`the value is not JSON: ${error instanceof Error ? error.message : ''}`);
  }
  return parseWith(schema, json);
}

function failure(message: string): ParseResult<never> {
  return { ok: false, issues: [{ path: '', message }] };
}
