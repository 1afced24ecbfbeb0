import type { Model } from '@rapport/model';
import { decodeData } from '../codec.js';
import type { StoredCustomer } from '../record.js';

/** What a guarded write stored: its revision and positions, and the `d` field (codec.ts). */
export interface WrittenRecord {
  readonly revision: number;
  readonly offsets: ReadonlyMap<number, number>;
  readonly data: Buffer;
}

/** A remembered write: as written, but the `d` field's bytes kept as a latin1 string. */
export interface Remembered extends Omit<WrittenRecord, 'data'> {
  readonly data: string;
}

/** Customers whose last write is kept by default (their heap cost: docs/read-side.md §3). */
export const DEFAULT_RECENT_WRITES = 20_000;

/**
 * What this projection last wrote per customer, least recently written first out, so that the
 * next batch of a customer need not read it back. Trusted only by a writer whose guarded write
 * refuses it if it is not the stored revision any more.
 */
export class RecentWrites {
  readonly #written = new Map<string, Remembered>();

  constructor(
    private readonly model: Model,
    private readonly capacity = DEFAULT_RECENT_WRITES,
  ) {}

  remember(customerId: string, record: WrittenRecord): void {
    this.#written.delete(customerId);
    // As a one-byte string: a few hundred bytes the garbage collector moves as one, where the
    // decoded state is dozens of objects, and a Buffer would pin a slab of Node's buffer pool.
    this.#written.set(customerId, { ...record, data: record.data.toString('latin1') });
    if (this.#written.size > this.capacity) {
      const oldest = this.#written.keys().next();
      if (!oldest.done) this.#written.delete(oldest.value);
    }
  }

  /** The customer as last written, still encoded (see decode). */
  recall(customerId: string): Remembered | undefined {
    return this.#written.get(customerId);
  }

  /** Decoded only when folded, so that a state lives only as long as its chunk needs it. */
  decode({ revision, offsets, data }: Remembered): StoredCustomer {
    return { revision, offsets, ...decodeData(this.model, Buffer.from(data, 'latin1')) };
  }

  forget(customerId: string): void {
    this.#written.delete(customerId);
  }
}
