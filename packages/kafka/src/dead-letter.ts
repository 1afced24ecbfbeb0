import { createHash } from 'node:crypto';
import { LoggedIdSchema, type Issue } from '@rapport/schema';
import { z } from 'zod';
import { decodeUtf8, type ConsumedRecord } from './records.js';

/**
 * What `rapport.interactions.dlq.v1` holds: input that could not be refused synchronously,
 * with why and the payload verbatim, so that it can be listed, fixed and replayed. Lenient on
 * labels on purpose: a dead letter refused for its own `source` would be input dropped.
 */
export const DeadLetterSchema = z.object({
  reason: z.object({
    code: z.string().min(1),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  /** Who gave up on it: `webhook:email`, `csv`, `projector`, ... */
  source: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
  /** The raw payload, verbatim (base64 when it was not UTF-8; `context.encoding` says so). */
  original: z.string(),
  /** The record key when known, so a customer's dead letters stay together and in order. */
  customerId: LoggedIdSchema.optional(),
  /** Where it came from: line number and file, or topic, partition and offset. */
  context: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** The Kafka key of a dead letter: its customer, else a stable hash of the payload. */
export function deadLetterKey(letter: DeadLetter): string {
  return letter.customerId ?? createHash('sha256').update(letter.original).digest('hex');
}

export interface PoisonOrigin {
  /** The `source` stamped on the letter, e.g. `projector`. */
  readonly source: string;
  readonly groupId: string;
  readonly receivedAt: string;
}

/** The dead letter for a consumed record that did not parse, carrying its bytes unchanged. */
export function poisonLetter(
  record: ConsumedRecord,
  issues: readonly Issue[],
  origin: PoisonOrigin,
): DeadLetter {
  const first = issues[0];
  return letterFor(
    record,
    {
      code: 'INVALID_RECORD',
      message: `${where(record)} does not parse${first === undefined ? '' : `: ${first.path || '(value)'}: ${first.message}`}`,
      issues: issues.map((issue) => ({ path: issue.path, message: issue.message })),
    },
    origin,
  );
}

/** Long enough for any error a client library gives; a letter is no place for a stack dump. */
const MAX_REASON_LENGTH = 2_000;

/**
 * The dead letter for a record that parsed but that the consumer's handler kept failing on, alone
 * and with its environment answering: `why` is the last error, as the handler's client gave it.
 */
export function failedLetter(
  record: ConsumedRecord,
  attempts: number,
  why: string,
  origin: PoisonOrigin,
): DeadLetter {
  const message = `${origin.source} failed on ${where(record)} ${attempts} times while its environment answered: ${why}`;
  return letterFor(
    record,
    { code: 'HANDLER_FAILED', message: message.slice(0, MAX_REASON_LENGTH) },
    origin,
  );
}

const where = (record: ConsumedRecord) => `${record.topic}/${record.partition}@${record.offset}`;

/** A consumed record's letter: its bytes unchanged, its key as the customer, where it was read. */
function letterFor(
  record: ConsumedRecord,
  reason: DeadLetter['reason'],
  origin: PoisonOrigin,
): DeadLetter {
  const bytes = record.bytes ?? Buffer.alloc(0);
  const text = decodeUtf8(bytes);
  const customerId = LoggedIdSchema.safeParse(record.key);
  return {
    reason,
    source: origin.source,
    receivedAt: origin.receivedAt,
    original: text ?? bytes.toString('base64'),
    ...(customerId.success ? { customerId: customerId.data } : {}),
    context: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      groupId: origin.groupId,
      ...(record.bytes === null ? { tombstone: 'true' } : {}),
      ...(text === undefined ? { encoding: 'base64' } : {}),
    },
  };
}
