import type { Model, State } from '@rapport/model';
import { parseWith } from '@rapport/schema';
import { z } from 'zod';
import { decodeData } from './codec.js';
import { StoreError } from './errors.js';
import type { Extras } from './extras.js';
import type { ChainableCommander } from 'ioredis';
import type { CustomerKeys } from './keys.js';
import { dataOf } from './logs.js';

/** `partition:offset,…`: the last offset applied from each partition the customer lived on. */
export const OffsetsSchema = z
  .string()
  .regex(/^(?:\d+:\d+(?:,\d+:\d+)*)?$/, 'expected partition:offset pairs')
  .transform(
    (text) =>
      new Map(
        text === ''
          ? []
          : text.split(',').map((pair) => {
              const [partition = '', offset = ''] = pair.split(':');
              return [Number(partition), Number(offset)] as const;
            }),
      ),
  );

const RevisionSchema = z.coerce.number().int().min(1);
/** Built once: a zod schema costs far more to build than to run. */
const RecordSchema = z.object({ revision: RevisionSchema, offsets: OffsetsSchema });

/** A customer as stored: its revision, the positions applied, and the state they fold to. */
export interface StoredCustomer {
  /** Bumped by every applied write; the compare-and-set token of the next one. */
  readonly revision: number;
  readonly offsets: ReadonlyMap<number, number>;
  readonly state: State;
  readonly extras: Extras;
  readonly updatedAt: number;
  /** Fingerprints of the latest eventIds folded, oldest first (recent-events.ts). */
  readonly recent: readonly number[];
  /** Set when this id was merged into another: the record is then a pointer (identity.ts). */
  readonly mergedInto?: string;
}

/**
 * The hash fields in the order `HMGET` asks for them: revision, offsets, data (codec.ts; in
 * stores of the layout before only: the state is now in the data key, logs.ts), and the id it
 * was merged into, if it was. The positions of ids merged into a customer sit beside them under
 * `a:<id>` (ALIAS_PREFIX), read only where a merge needs them (`loadWhole`, the WHOLE script:
 * these fields, the data key and the aliases).
 */
export const RECORD_FIELDS = ['r', 'o', 'd', 'm'] as const;
export const ALIAS_PREFIX = 'a:';
/** Merges followed from a merged id to its survivor, at most: a longer chain is corrupt data. */
export const MAX_MERGE_CHAIN = 128;

const RepliesSchema = z.array(z.instanceof(Buffer).nullable());
const DataSchema = z.instanceof(Buffer).nullable();

/**
 * Queues the plain reads of a customer's record: its hash's fields, then its data key. Two
 * replies, which `recordAt` decodes. Not one step: a write landing between them pairs the state
 * with the revision before it (the READ script is one step, at about three times the cost).
 */
export function queueRecordRead(pipeline: ChainableCommander, keys: CustomerKeys): void {
  pipeline.hmgetBuffer(keys.record, ...RECORD_FIELDS).getBuffer(keys.data);
}

/** The customer whose two replies (`queueRecordRead`) start at `at` in `replies`. */
export function recordAt(
  model: Model,
  keys: CustomerKeys,
  replies: readonly unknown[],
  at: number,
): StoredCustomer | undefined {
  const fields = RepliesSchema.parse(replies[at]);
  return decodeRecord(model, keys.record, fields, DataSchema.parse(replies[at + 1]));
}

/**
 * A script's reply that begins as the plain reads do (READ, WHOLE: the hash's fields, then the
 * data key): the customer, and the rest of the reply.
 */
export function scriptedRecord(
  model: Model,
  record: string,
  reply: unknown,
): { readonly stored: StoredCustomer | undefined; readonly rest: readonly (Buffer | null)[] } {
  const values = RepliesSchema.parse(reply);
  const count = RECORD_FIELDS.length;
  const stored = decodeRecord(model, record, values.slice(0, count), values[count] ?? null);
  return { stored, rest: values.slice(count + 1) };
}

/**
 * Parses `HMGET r o d m` and the data key's value (null where there is none: a customer of the
 * layout before keeps its state in `d`); undefined for a customer never written. Throws
 * StoreError if corrupt.
 */
export function decodeRecord(
  model: Model,
  key: string,
  fields: readonly (Buffer | null)[],
  stored: Buffer | null = null,
): StoredCustomer | undefined {
  const [revision, offsets, field, mergedInto] = fields;
  if (revision === null || revision === undefined) return undefined;
  try {
    const data = stored === null ? field : dataOf(stored).state;
    const parsed = parseWith(RecordSchema, {
      revision: revision.toString('utf8'),
      offsets: offsets?.toString('utf8') ?? '',
    });
    if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    if (!data) throw new Error('no data field');
    const decoded = { ...parsed.value, ...decodeData(model, data) };
    return mergedInto ? { ...decoded, mergedInto: mergedInto.toString('utf8') } : decoded;
  } catch (error) {
    throw new StoreError(
      'STORE_RECORD_INVALID',
      `${key} is not a read-model record: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
