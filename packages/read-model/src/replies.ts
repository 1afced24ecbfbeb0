import type { ChainableCommander } from 'ioredis';
import { z } from 'zod';
import { ChangeSchema, type Change } from './views.js';

/** A pipeline's replies in order; the first command that failed fails the whole call. */
export async function run(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
}

export interface ChangeEntry {
  readonly id: string;
  readonly change: Change;
}

// Built once: a zod schema costs far more to build than to run.
const PayloadSchema = z.record(z.string(), z.unknown());
const StreamEntriesSchema = z.array(z.tuple([z.string(), z.array(z.string())]));

/** Entries of the change stream as XRANGE or XREAD return them, each parsed into a change. */
export function parseChangeEntries(entries: unknown): ChangeEntry[] {
  return StreamEntriesSchema.parse(entries).map(([id, fields]) => {
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i] ?? '', fields[i + 1] ?? '');
    const change = ChangeSchema.parse({
      customerId: values.get('c'),
      ...PayloadSchema.parse(JSON.parse(values.get('v') ?? '{}')),
    });
    return { id, change };
  });
}
