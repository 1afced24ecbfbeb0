import type { Logger } from '@rapport/lifecycle';
import type { ChangeEntry, ReadModelReader, RedisClient } from '@rapport/read-model';

/** Stream ids are `<ms>-<seq>`; compared as numbers, never as text (`9-0` < `10-0`). */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

export const STREAM_ID = /^\d+-\d+$/;

/** How far ahead of this clock a stream id may be dated (Redis stamps ids with its own clock). */
const MAX_ID_AHEAD_MS = 60 * 60 * 1000;

/**
 * Whether `text` is an id this stream could have sent by `nowMs`: `<ms>-<seq>`, both parts exact
 * integers (Redis refuses ids past 64 bits), and not dated in the future.
 */
export function isPossibleStreamId(text: string, nowMs: number): boolean {
  if (!STREAM_ID.test(text)) return false;
  const [ms = Number.NaN, seq = Number.NaN] = text.split('-').map(Number);
  return Number.isSafeInteger(ms) && Number.isSafeInteger(seq) && ms <= nowMs + MAX_ID_AHEAD_MS;
}

export interface Subscriber {
  deliver(entry: ChangeEntry): void;
  /**
   * Changes after the client's Last-Event-ID and before `oldestId` are not sent: the stream no
   * longer holds them (it is capped), or the client is further behind than a catch-up goes (it
   * gets the newest CATCH_UP_LIMIT changes).
   */
  gap(oldestId: string): void;
}

const READ_COUNT = 500;
/**
 * Changes a resuming client is sent from the stream at most. One further behind is told of the
 * gap and resumes live: re-reading its customers is cheaper than replaying the stream to it.
 */
export const CATCH_UP_LIMIT = 1_000;
const BLOCK_MS = 1_000;
const RETRY_MS = 1_000;

interface Registration {
  readonly subscriber: Subscriber;
  /** Changes that arrived live while the subscriber was still catching up from Redis. */
  buffered: ChangeEntry[] | undefined;
  lastId: string;
}

/**
 * One blocking reader of the change stream per API process, fanned out to every Server-Sent
 * Events client; a client resuming from Last-Event-ID first catches up from the stream itself.
 * Nothing is missed across the hand-over: the client is registered (buffering live changes)
 * before it catches up, and afterwards only changes newer than the last one sent go out.
 */
export class ChangeFeed {
  readonly #registrations = new Set<Registration>();
  #reading: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly reader: ReadModelReader,
    private readonly connect: () => RedisClient,
    private readonly logger: Logger,
  ) {}

  /** Starts delivering; returns the function that stops it. */
  async subscribe(subscriber: Subscriber, lastEventId: string | undefined): Promise<() => void> {
    const registration: Registration = {
      subscriber,
      buffered: lastEventId === undefined ? undefined : [],
      lastId: lastEventId ?? '0-0',
    };
    this.#registrations.add(registration);
    const unsubscribe = () => void this.#registrations.delete(registration);
    try {
      await this.#ensureReading();
      if (lastEventId !== undefined) await this.#catchUp(registration, lastEventId);
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#registrations.clear();
    await this.#reading;
  }

  async #catchUp(registration: Registration, lastEventId: string): Promise<void> {
    const backlog = await this.reader.changesAfter(registration.lastId, CATCH_UP_LIMIT + 1);
    const tooFarBehind = backlog.length > CATCH_UP_LIMIT;
    const sent = tooFarBehind ? await this.reader.latestChanges(CATCH_UP_LIMIT) : backlog;
    // What the client may have missed starts before the first change it gets, or before the
    // oldest the capped stream still holds.
    const firstHeld = tooFarBehind ? sent[0]?.id : await this.reader.oldestChangeId();
    if (firstHeld !== undefined && compareIds(firstHeld, lastEventId) > 0) {
      registration.subscriber.gap(firstHeld);
    }
    for (const entry of sent) this.#send(registration, entry);
    const buffered = registration.buffered ?? [];
    registration.buffered = undefined;
    for (const entry of buffered) this.#send(registration, entry);
  }

  #send(registration: Registration, entry: ChangeEntry): void {
    if (compareIds(entry.id, registration.lastId) <= 0) return;
    registration.lastId = entry.id;
    registration.subscriber.deliver(entry);
  }

  /** The reader starts with the first subscriber, at the newest change there is then. */
  async #ensureReading(): Promise<void> {
    if (this.#reading !== undefined) return;
    const startId = await this.reader.newestChangeId();
    this.#reading ??= this.#read(startId).finally(() => {
      this.#reading = undefined;
      // A client that subscribed while the reader was leaving would otherwise wait forever.
      if (!this.#closed && this.#registrations.size > 0) {
        this.#ensureReading().catch((error: unknown) =>
          this.logger.error({ err: error }, 'could not restart the change stream reader'),
        );
      }
    });
  }

  async #read(startId: string): Promise<void> {
    const connection = this.connect();
    let afterId = startId;
    try {
      while (!this.#closed && this.#registrations.size > 0) {
        try {
          const entries = await this.reader.waitForChanges(connection, afterId, {
            count: READ_COUNT,
            blockMs: BLOCK_MS,
          });
          for (const entry of entries) {
            afterId = entry.id;
            for (const registration of this.#registrations) {
              if (registration.buffered) registration.buffered.push(entry);
              else this.#send(registration, entry);
            }
          }
        } catch (error) {
          this.logger.warn({ err: error }, 'reading the change stream failed; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        }
      }
    } finally {
      connection.disconnect();
    }
  }
}
