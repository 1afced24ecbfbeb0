import { ByteReader, ByteWriter } from '@rapport/model';
import { z } from 'zod';
import type { RedisClient } from './cluster.js';
import { StoreError } from './errors.js';
import type { CustomerKeys } from './keys.js';
import { run } from './replies.js';

/**
 * A customer's state, history and timeline: one string beside its hash, its data key (`…:d`):
 * varint(bytes of the state), the state (codec.ts), then its logs, two capped logs in the form
 * the layout before kept in the hash's `l` field. Not in the hash: a hash stays in Redis's
 * compact encoding (a listpack, one allocation) only while every value is at most
 * `hash-max-listpack-value` bytes (64 by default), and the state and logs are hundreds, which
 * made the hash a table of separately allocated entries; out of it, the hash of the revision and
 * positions is compact, and the data key costs less than the table did (docs/read-side.md §1).
 * The logs stay in the state's key rather than in one of their own, whose name, object and entry
 * in Redis's keyspace would cost more than they save. The guarded scripts write the data key
 * (`LOGS` in scripts.ts); this module frames what they append and reads what they wrote.
 *
 * - the logs (`l`): varint(bytes of the history log), the history log, the timeline log;
 * - a log: varint(count), then its entries, oldest first, so that capping drops from the front
 *   and a write walks only the entries it drops;
 * - an entry: varint(length × 2 + legacy), then its bytes: binary (history.ts, timeline.ts),
 *   or, with the legacy bit, the JSON that the lists of the layout before held.
 *
 * The layout before kept the state in the hash's `d` and the logs in its `l`; the one before
 * that kept the logs as lists of JSON, newest first, at `<record>:h` and `<record>:e`. A customer
 * not written since is read from those; its next write moves them into the data key (the lists'
 * entries as they were, each marked legacy) and deletes them. So a store written by an older
 * version stays readable and is rewritten customer by customer as they change, as the record's
 * own formats are (codec.ts).
 */
const LOGS_FIELD = 'l';

/** Framed entries of a log, oldest first: what a script appends, and what a merge carries over. */
export interface LogEntries {
  readonly count: number;
  readonly body: Buffer;
}

/** One stored entry: binary, or the JSON of the layout before. */
export interface LogEntry {
  readonly legacy: boolean;
  readonly bytes: Uint8Array;
}

/** A customer's two logs as stored. */
export interface Logs {
  readonly history: LogEntries;
  readonly timeline: LogEntries;
}

const ListSchema = z.array(z.instanceof(Buffer));
const FieldSchema = z.instanceof(Buffer).nullable();

/** One writer reused for every framing; each result is copied out of it. */
const writer = new ByteWriter();

/**
 * Entries framed, in the order given (oldest first): binary ones, or with `legacy` the JSON of
 * the layout before, as a write adopts it.
 */
export function framedAs(entries: readonly Uint8Array[], legacy: boolean): LogEntries {
  writer.reset();
  for (const entry of entries) writer.uint(entry.length * 2 + (legacy ? 1 : 0)).bytes(entry);
  return { count: entries.length, body: Buffer.from(writer.written()) };
}

/** The entries of a log, oldest first; throws BytesError if they are not framed entries. */
export function entriesOf({ count, body }: LogEntries): LogEntry[] {
  const reader = new ByteReader(body);
  const entries: LogEntry[] = [];
  for (let left = count; left > 0; left -= 1) {
    const frame = reader.uint();
    const bytes = reader.bytes(Math.floor(frame / 2), 'an entry');
    entries.push({ legacy: frame % 2 === 1, bytes });
  }
  reader.end();
  return entries;
}

/**
 * A data key's value split: the state's bytes, and the logs' (empty when a write never stored
 * any: a customer merged away before its first write). Throws BytesError if it is not one.
 */
export function dataOf(value: Buffer): { readonly state: Buffer; readonly logs: Buffer } {
  const reader = new ByteReader(value);
  const state = reader.bytes(reader.uint(), 'the state');
  const logs = reader.rest();
  return { state: bufferOf(state), logs: bufferOf(logs) };
}

/**
 * A customer's logs: from its data key, or from the hash's `l` or the lists of the layouts
 * before when it was not written since (none for a customer never written). They are read in one
 * transaction, so a write moving them into the data key (and deleting the others) cannot land
 * between the reads and leave none; its keys share the customer's slot, so a Cluster runs it
 * too. One round trip.
 */
export async function loadLogs(redis: RedisClient, keys: CustomerKeys): Promise<Logs> {
  const [data, value, history, timeline] = await run(
    redis
      .multi()
      .getBuffer(keys.data)
      .hgetBuffer(keys.record, LOGS_FIELD)
      .lrangeBuffer(keys.history, 0, -1)
      .lrangeBuffer(keys.timeline, 0, -1),
  );
  const stored = FieldSchema.parse(data);
  // As the scripts read it: the data key's logs, else the hash's `l`; neither (or a data key
  // without logs) leaves them to the lists.
  const [key, field] =
    stored === null
      ? [keys.record, FieldSchema.parse(value)]
      : [keys.data, readingLogs(keys.data, () => dataOf(stored).logs)];
  if (field !== null && field.length > 0) return readingLogs(key, () => logsOf(field));
  // The lists are newest first; a write adopts them oldest first, as legacy entries.
  return {
    history: framedAs(ListSchema.parse(history).reverse(), true),
    timeline: framedAs(ListSchema.parse(timeline).reverse(), true),
  };
}

/** `read()`, its failure (the bytes are not what logs hold) a StoreError naming the record. */
export function readingLogs<T>(record: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new StoreError(
      'STORE_RECORD_INVALID',
      `${record} holds no valid history and timeline: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

function logsOf(value: Buffer): Logs {
  const reader = new ByteReader(value);
  const history = reader.bytes(reader.uint(), 'the history log');
  return { history: opened(history), timeline: opened(reader.rest()) };
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function opened(log: Uint8Array): LogEntries {
  const reader = new ByteReader(log);
  const count = reader.uint();
  return { count, body: Buffer.from(reader.rest()) };
}
