import { ByteReader, ByteWriter } from '@rapport/model';
import { z } from 'zod';
import type { RedisClient } from './cluster.js';
import { StoreError } from './errors.js';
import type { CustomerKeys } from './keys.js';
import { run } from './replies.js';

/**
 * A customer's history and timeline: two capped logs in one field of its hash, `l` (the scripts
 * spell it too). A key of their own each cost about 160 bytes before the first entry (the key,
 * its object, a list's header and node), and a field of its own each about 60 more than sharing
 * one: the reason for the layout (docs/read-side.md §1). The guarded scripts append and cap it
 * (`LOGS` in scripts.ts); this module frames what they append and reads what they wrote.
 *
 * - `l`: varint(bytes of the history log), the history log, the timeline log;
 * - a log: varint(count), then its entries, oldest first, so that capping drops from the front
 *   and a write walks only the entries it drops;
 * - an entry: varint(length × 2 + legacy), then its bytes: binary (history.ts, timeline.ts),
 *   or, with the legacy bit, the JSON that the lists of the layout before held.
 *
 * That layout kept them as lists of JSON, newest first, at `<record>:h` and `<record>:e`. A
 * customer not written since is read from those lists; its next write adopts them into `l`, each
 * JSON entry kept as it was and marked legacy, and deletes them. So a store written by an older
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
 * A customer's logs: from `l`, or from the lists of the layout before when it was not written
 * since (both none for a customer never written). `l` and the lists are read in one transaction,
 * so a write adopting the lists into `l` (and deleting them) cannot land between the two reads
 * and leave neither; its keys share the customer's slot, so a Cluster runs it too. One round trip.
 */
export async function loadLogs(redis: RedisClient, keys: CustomerKeys): Promise<Logs> {
  const [value, history, timeline] = await run(
    redis
      .multi()
      .hgetBuffer(keys.record, LOGS_FIELD)
      .lrangeBuffer(keys.history, 0, -1)
      .lrangeBuffer(keys.timeline, 0, -1),
  );
  const field = FieldSchema.parse(value);
  if (field !== null) return readingLogs(keys.record, () => logsOf(field));
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

function opened(log: Uint8Array): LogEntries {
  const reader = new ByteReader(log);
  const count = reader.uint();
  return { count, body: Buffer.from(reader.rest()) };
}
