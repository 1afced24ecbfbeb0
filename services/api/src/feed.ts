import type { Logger } from '@rapport/lifecycle';
import {
  indexShards,
  slotGroups,
  type ChangeEntry,
  type IndexShard,
  type ReadModelReader,
  type RedisClient,
  type ShardChange,
} from '@rapport/read-model';
import { compareIds, formatPosition, parsePosition } from './stream-position.js';

export interface Subscriber {
  /** A change, and the event id that resumes after it: the client's position once it is sent. */
  deliver(entry: ChangeEntry, eventId: string): void;
  /**
   * Changes before `oldestId` (the id of the first change sent after it, or the position the
   * client now has if none is) may not be sent: the capped streams no longer hold them, the
   * client is further behind than a catch-up goes (it gets the newest CATCH_UP_LIMIT changes),
   * or its id is of another shard count than the live generation's (a replay changed it).
   */
  gap(oldestId: string): void;
}

const READ_COUNT = 500;
/**
 * Changes a resuming client is sent from the streams at most. One further behind is told of the
 * gap and resumes live: re-reading its customers is cheaper than replaying the stream to it.
 */
export const CATCH_UP_LIMIT = 1_000;
const BLOCK_MS = 1_000;
const RETRY_MS = 1_000;

interface Registration {
  readonly subscriber: Subscriber;
  /** Changes that arrived live while the subscriber was still catching up from Redis. */
  buffered: ShardChange[] | undefined;
  /** Per index shard, the last id sent (or where the client started). */
  position: string[];
  /**
   * Per index shard, the first change the readers read after the stream had removed changes
   * they had not read, while this client was still catching up: it is told of the gap then.
   */
  skipped: Map<number, string> | undefined;
}

/** The readers of one layout (the live generation's shard count), and where they got to. */
interface Reading {
  readonly shards: readonly IndexShard[];
  /** Per shard, the last id read. */
  readonly position: string[];
  done?: Promise<void>;
}

/** Changes of several shards in the order they are sent: by id, then by shard. */
const byId = (a: ShardChange, b: ShardChange) =>
  compareIds(a.entry.id, b.entry.id) || a.shard - b.shard;

/**
 * Blocking readers of the change streams per API process (one per group of index shards one
 * command can read: cluster.ts's `slotGroups`), fanned out to every Server-Sent Events client;
 * a client resuming from Last-Event-ID first catches up from the streams themselves. An event's
 * id is the client's position in every shard's stream, so a resume misses nothing and repeats
 * nothing, whatever the order of the shards' changes. Nothing is missed across the hand-over
 * either: the client is registered (buffering live changes) before it catches up, and afterwards
 * only changes newer than the last one sent of their shard go out.
 */
export class ChangeFeed {
  readonly #registrations = new Set<Registration>();
  #reading: Promise<Reading> | undefined;
  #current: Reading | undefined;
  #closed = false;

  constructor(
    private readonly reader: ReadModelReader,
    /** The shared connection: its topology, and what the readers' own connections copy. */
    private readonly redis: RedisClient,
    /** The index shard count of the generation readers use now. */
    private readonly shardCount: () => Promise<number>,
    private readonly logger: Logger,
  ) {}

  /** Starts delivering; returns the function that stops it. */
  async subscribe(subscriber: Subscriber, lastEventId: string | undefined): Promise<() => void> {
    const registration: Registration = {
      subscriber,
      buffered: [],
      position: [],
      skipped: undefined,
    };
    this.#registrations.add(registration);
    const unsubscribe = () => void this.#registrations.delete(registration);
    try {
      const reading = await this.#ensureReading();
      // A new client starts where the readers are: it is sent what they read from now on.
      if (lastEventId === undefined) registration.position = [...reading.position];
      else await this.#catchUp(registration, reading, parsePosition(lastEventId));
    } catch (error) {
      unsubscribe();
      throw error;
    }
    const buffered = registration.buffered ?? [];
    registration.buffered = undefined;
    if (registration.skipped) this.#gap(registration, registration.skipped);
    for (const change of buffered) this.#send(registration, change);
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#registrations.clear();
    await this.#current?.done;
  }

  async #catchUp(registration: Registration, reading: Reading, asked: string[]): Promise<void> {
    const { shards } = reading;
    if (asked.length !== shards.length) {
      registration.position = [...reading.position];
      registration.subscriber.gap(formatPosition(registration.position));
      return;
    }
    const backlogs = await Promise.all(
      shards.map((shard) =>
        this.reader.changesAfter(shard, asked[shard.index]!, CATCH_UP_LIMIT + 1),
      ),
    );
    const behind = backlogs.reduce((sum, backlog) => sum + backlog.length, 0);
    let sent: ShardChange[];
    let gap: boolean;
    const position = [...asked];
    if (behind > CATCH_UP_LIMIT) {
      const latest = await Promise.all(
        shards.map((shard) => this.reader.latestChanges(shard, CATCH_UP_LIMIT)),
      );
      sent = tagged(latest).sort(byId).slice(-CATCH_UP_LIMIT);
      // A shard none of whose changes are sent is past its gap: a later resume starts after it.
      for (const shard of shards) {
        const newest = latest[shard.index]?.at(-1)?.id;
        const hasSent = sent.some((change) => change.shard === shard.index);
        if (newest !== undefined && !hasSent) position[shard.index] = newest;
      }
      gap = true;
    } else {
      sent = tagged(backlogs).sort(byId);
      const removed = await Promise.all(shards.map((shard) => this.reader.removedThrough(shard)));
      gap = shards.some(({ index }) => compareIds(removed[index]!, asked[index]!) > 0);
    }
    // A replay changed the shard count meanwhile: the client was moved to the new streams.
    if (reading !== this.#current) return;
    registration.position = position;
    const first = sent[0];
    if (gap) {
      const from = [...position];
      if (first !== undefined) from[first.shard] = first.entry.id;
      registration.subscriber.gap(formatPosition(from));
    }
    for (const change of sent) this.#send(registration, change);
  }

  /**
   * Tells a client that changes before `firsts` (per shard, the first change the readers read
   * after some they had not read were removed) will not be sent.
   */
  #gap(registration: Registration, firsts: ReadonlyMap<number, string>): void {
    registration.skipped = undefined;
    const from = [...registration.position];
    for (const [shard, first] of firsts) {
      const last = from[shard];
      if (last !== undefined && compareIds(first, last) > 0) from[shard] = first;
    }
    registration.subscriber.gap(formatPosition(from));
  }

  #send(registration: Registration, { shard, entry }: ShardChange): void {
    const last = registration.position[shard];
    if (last === undefined || compareIds(entry.id, last) <= 0) return;
    registration.position[shard] = entry.id;
    registration.subscriber.deliver(entry, formatPosition(registration.position));
  }

  /** The readers start with the first subscriber, at the newest change of each shard then. */
  #ensureReading(): Promise<Reading> {
    this.#reading ??= this.#start().catch((error: unknown) => {
      this.#reading = undefined;
      throw error;
    });
    return this.#reading;
  }

  async #start(): Promise<Reading> {
    const shards = indexShards(await this.shardCount());
    const position = await Promise.all(shards.map((shard) => this.reader.newestChangeId(shard)));
    const reading: Reading = { shards, position };
    this.#current = reading;
    reading.done = Promise.all(
      slotGroups(this.redis, shards).map((group) => this.#read(reading, group)),
    ).then(() => {
      if (this.#current !== reading) return;
      this.#current = undefined;
      this.#reading = undefined;
      // A client that subscribed while the readers were leaving would otherwise wait forever.
      if (!this.#closed && this.#registrations.size > 0) {
        this.#ensureReading().catch((error: unknown) =>
          this.logger.error({ err: error }, 'could not restart the change stream reader'),
        );
      }
    });
    return reading;
  }

  /** One blocking reader of some shards; the reader of shard 0 also watches the shard count. */
  async #read(reading: Reading, group: readonly IndexShard[]): Promise<void> {
    const connection = this.redis.duplicate();
    const watches = group.some((shard) => shard.index === 0);
    let failed = false;
    try {
      while (this.#current === reading && !this.#closed && this.#registrations.size > 0) {
        try {
          const after = group.map((shard) => ({ shard, afterId: reading.position[shard.index]! }));
          const changes = await this.reader.waitForChanges(connection, after, {
            count: READ_COUNT,
            blockMs: BLOCK_MS,
          });
          const skipped = await this.#skipped(after, changes, failed);
          failed = false;
          if (skipped.size > 0) {
            for (const registration of this.#registrations) {
              if (!registration.buffered) this.#gap(registration, skipped);
              else registration.skipped = new Map([...(registration.skipped ?? []), ...skipped]);
            }
          }
          for (const change of changes.sort(byId)) {
            reading.position[change.shard] = change.entry.id;
            for (const registration of this.#registrations) {
              if (registration.buffered) registration.buffered.push(change);
              else this.#send(registration, change);
            }
          }
          if (watches && (await this.shardCount()) !== reading.shards.length) {
            await this.#relayout();
          }
        } catch (error) {
          failed = true;
          this.logger.warn({ err: error }, 'reading the change stream failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    } finally {
      connection.disconnect();
    }
  }

  /**
   * The shards of a read whose stream removed changes after the readers' position before they
   * read them: the readers fell more than `RAPPORT_CHANGE_STREAM_LENGTH` changes behind (a burst,
   * a stall, the retry after a failed read), and Redis answered from the oldest change it still
   * keeps. Each is mapped to the first change read of it: its clients are told of the gap before
   * it. Since a stream never keeps fewer changes than that setting (at least 1,000: `MAXLEN ~`
   * trims whole nodes, never below it), such a read comes back full (READ_COUNT changes), so
   * only full reads and the first read after a failure are checked: one `removedThrough` per
   * shard read in full, nothing while the readers keep up. An erasure that deleted a change the
   * readers had not read yet is told as a gap too, as a resume past it is.
   */
  async #skipped(
    after: readonly { readonly shard: IndexShard; readonly afterId: string }[],
    changes: readonly ShardChange[],
    failed: boolean,
  ): Promise<Map<number, string>> {
    const read = new Map<number, ShardChange[]>();
    for (const change of changes) {
      const ofShard = read.get(change.shard);
      if (ofShard) ofShard.push(change);
      else read.set(change.shard, [change]);
    }
    const checked = after.filter(
      ({ shard }) => failed || (read.get(shard.index)?.length ?? 0) >= READ_COUNT,
    );
    const removed = await Promise.all(
      checked.map(({ shard }) => this.reader.removedThrough(shard)),
    );
    const skipped = new Map<number, string>();
    checked.forEach(({ shard, afterId }, at) => {
      const first = read.get(shard.index)?.[0]?.entry.id;
      if (first !== undefined && compareIds(removed[at]!, afterId) > 0) {
        skipped.set(shard.index, first);
      }
    });
    return skipped;
  }

  /**
   * A replay switched readers to a generation of another shard count, whose changes are in other
   * streams: every client moves to their newest changes, told of the gap (changes of the last
   * second may not be sent; the client re-reads what it follows).
   */
  async #relayout(): Promise<void> {
    this.#current = undefined;
    this.#reading = undefined;
    const next = await this.#ensureReading();
    for (const registration of this.#registrations) {
      registration.position = [...next.position];
      if (registration.buffered) registration.buffered = [];
      registration.skipped = undefined;
      registration.subscriber.gap(formatPosition(registration.position));
    }
  }
}

/** Each shard's changes, tagged with their shard. */
function tagged(perShard: readonly (readonly ChangeEntry[])[]): ShardChange[] {
  return perShard.flatMap((entries, shard) => entries.map((entry) => ({ shard, entry })));
}
