import type { Model, State } from '@rapport/model';
import { parseWith } from '@rapport/schema';
import { z } from 'zod';
import { decodeBlob, encodeBlob } from './codec';
import { StoreError } from './errors';

const instant = z.number().nullable();
const count = z.int().min(0);

/**
 * What the read model keeps beside the model's state, all of it order-independent (counts and
 * latest instants) so that it, too, is the same whatever order the log is folded in.
 */
export const ExtrasSchema = z.strictObject({
  /** Latest interaction per channel (epoch ms); channels outside the catalog pooled as `*`. */
  ch: z.record(z.string(), z.number()),
  /** Follow-ups the engine reported: [started, finished, last started at, last finished at]. */
  fu: z.tuple([count, count, instant, instant]),
  /** Engagement drops the engine detected: [count, last at]. */
  dr: z.tuple([count, instant]),
});
export type Extras = z.infer<typeof ExtrasSchema>;

export const EMPTY_EXTRAS: Extras = { ch: {}, fu: [0, 0, null, null], dr: [0, null] };

/** The `d` field of a customer's hash: the model's state (parsed by the model), extras, time. */
const DataSchema = z.strictObject({
  /** `model.toJSON(state)`; validated by `model.fromJSON`. */
  m: z.unknown(),
  x: ExtrasSchema,
  /** When the projector wrote it (epoch ms). */
  u: z.number(),
});

/** `partition:offset,…`: the last offset applied from each partition the customer lived on. */
const OffsetsSchema = z
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
const RecordSchema = z.object({
  revision: RevisionSchema,
  offsets: OffsetsSchema,
  data: DataSchema,
});

/** A customer as stored: its revision, the positions applied, and the state they fold to. */
export interface StoredCustomer {
  /** Bumped by every applied write; the compare-and-set token of the next one. */
  readonly revision: number;
  readonly offsets: ReadonlyMap<number, number>;
  readonly state: State;
  readonly extras: Extras;
  readonly updatedAt: number;
}

/** The hash fields in the order `HMGET` asks for them. */
export const RECORD_FIELDS = ['r', 'o', 'd'] as const;

/** The `d` field: compressed (see codec.ts), since it is most of a customer's memory. */
export function encodeData(model: Model, state: State, extras: Extras, updatedAt: number): Buffer {
  return encodeBlob(JSON.stringify({ m: model.toJSON(state), x: extras, u: updatedAt }));
}

/** Parses `HMGET r o d`; undefined for a customer never written. Throws StoreError if corrupt. */
export function decodeRecord(
  model: Model,
  key: string,
  fields: readonly (Buffer | null)[],
): StoredCustomer | undefined {
  const [revision, offsets, data] = fields;
  if (revision === null || revision === undefined) return undefined;
  try {
    const json: unknown = data ? JSON.parse(decodeBlob(data)) : null;
    const parsed = parseWith(RecordSchema, {
      revision: revision.toString('utf8'),
      offsets: offsets?.toString('utf8') ?? '',
      data: json,
    });
    if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    const { m, x, u } = parsed.value.data;
    return {
      revision: parsed.value.revision,
      offsets: parsed.value.offsets,
      state: model.fromJSON(m),
      extras: x,
      updatedAt: u,
    };
  } catch (error) {
    throw new StoreError(
      'STORE_RECORD_INVALID',
      false,
      `${key} is not a read-model record: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
