import { createHash } from 'node:crypto';
import type { Redis, Result } from 'ioredis';

/**
 * Per-event claim states in Redis. `pending` lives only while a publish is in flight (so a crash
 * between claim and publish frees the id after the timeout); `acked` lives for the dedup window.
 */
const PENDING = 'pending';
const ACKED = 'acked';

export type ClaimOutcome = 'new' | 'duplicate' | 'in_flight';

/** Admits `count` events against a per-key budget per one-second window; never half-admits. */
const TAKE_BUDGET = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local count = tonumber(ARGV[1])
if used > 0 and used + count > tonumber(ARGV[2]) then return 0 end
redis.call('INCRBY', KEYS[1], count)
redis.call('PEXPIRE', KEYS[1], 2000)
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rapportTakeBudget(key: string, count: number, limit: number): Result<number, Context>;
  }
}

export interface EventRef {
  readonly eventId: string;
  readonly customerId: string;
}

/**
 * The gateway's Redis state: deduplication by eventId and per-key rate limits. Keys carry the
 * customer's `{hash tag}` so that with Redis Cluster a customer's keys share a slot.
 */
export class Guards {
  private readonly keyIds = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly options: {
      readonly keyPrefix: string;
      readonly dedupWindowSeconds: number;
      readonly pendingTtlMs: number;
      readonly rateLimitPerSecond: number;
    },
  ) {
    redis.defineCommand('rapportTakeBudget', { numberOfKeys: 1, lua: TAKE_BUDGET });
  }

  private seenKey(event: EventRef): string {
    return `${this.options.keyPrefix}{${event.customerId}}:seen:${event.eventId}`;
  }

  /**
   * Admits a request in one round trip: takes `events.length` from the write key's budget for this
   * second and claims each event (`SET NX GET`). A new id becomes pending; an acked id is a
   * duplicate of an acknowledged event; a pending id is being accepted by another request. When
   * the budget refuses, the claims just made are released and `admitted` is false.
   */
  async admit(
    writeKey: string,
    events: readonly EventRef[],
    nowMs: number,
  ): Promise<{ admitted: boolean; outcomes: ClaimOutcome[] }> {
    const pipeline = this.redis.pipeline();
    pipeline.rapportTakeBudget(
      this.budgetKey(writeKey, nowMs),
      events.length,
      this.options.rateLimitPerSecond,
    );
    for (const event of events) {
      pipeline.set(this.seenKey(event), PENDING, 'PX', this.options.pendingTtlMs, 'NX', 'GET');
    }
    const [budget, ...claims] = (await pipeline.exec()) ?? [];
    const outcomes = claims.map(([error, previous]): ClaimOutcome => {
      if (error) throw error;
      if (previous === null) return 'new';
      return previous === ACKED ? 'duplicate' : 'in_flight';
    });
    if (budget?.[0]) throw budget[0];
    if (budget?.[1] === 1) return { admitted: true, outcomes };
    await this.release(events.filter((_, index) => outcomes[index] === 'new'));
    return { admitted: false, outcomes };
  }

  /** After Kafka acknowledged: the ids stay known for the dedup window. */
  async confirm(events: readonly EventRef[]): Promise<void> {
    await this.forEach(events, (pipeline, key) =>
      pipeline.set(key, ACKED, 'EX', this.options.dedupWindowSeconds),
    );
  }

  /** After a failed publish: the client's retry must be accepted, not called a duplicate. */
  async release(events: readonly EventRef[]): Promise<void> {
    await this.forEach(events, (pipeline, key) => pipeline.del(key));
  }

  private async forEach(
    events: readonly EventRef[],
    command: (pipeline: ReturnType<Redis['pipeline']>, key: string) => unknown,
  ): Promise<void> {
    if (events.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const event of events) command(pipeline, this.seenKey(event));
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  private budgetKey(writeKey: string, nowMs: number): string {
    // A digest, not the key itself: API keys must not show up in `redis-cli --scan`.
    let keyId = this.keyIds.get(writeKey);
    if (keyId === undefined) {
      keyId = createHash('sha256').update(writeKey).digest('hex').slice(0, 16);
      this.keyIds.set(writeKey, keyId);
    }
    return `${this.options.keyPrefix}ratelimit:{${keyId}}:${Math.floor(nowMs / 1000)}`;
  }
}
