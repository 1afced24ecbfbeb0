import { createHash } from 'node:crypto';
import { pipelineOn, slotGroups, type RedisClient } from '@rapport/read-model';
import type { ChainableCommander, Result } from 'ioredis';

/**
 * Per-event claim states in Redis. `pending` lives only while a publish is in flight (so a crash
 * between claim and publish frees the id after the timeout); `acked` lives for the dedup window.
 */
const PENDING = 'pending';
const ACKED = 'acked';

export type ClaimOutcome = 'new' | 'duplicate' | 'in_flight';

/**
 * Admits `count` events against a per-key budget per one-second window; never half-admits, and
 * never admits more than the budget in one request, even into an untouched second.
 */
const TAKE_BUDGET = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local count = tonumber(ARGV[1])
if used + count > tonumber(ARGV[2]) then return 0 end
redis.call('INCRBY', KEYS[1], count)
redis.call('PEXPIRE', KEYS[1], 2000)
return 1`;

/**
 * Sets every key it is given as `SET key ARGV[1] ARGV[2] ARGV[3]` would, one at a time; with
 * ARGV[4] `claim`, only where absent (`NX GET`), answering each key's previous value (nil where
 * there was none). One command for a whole batch: a command per event cost the gateway more, in
 * building and parsing commands and in their garbage, than all else it asks of Redis.
 */
const SET_EACH = `
local claim = ARGV[4] == 'claim'
local previous = {}
for index, key in ipairs(KEYS) do
  if claim then
    previous[index] = redis.call('SET', key, ARGV[1], ARGV[2], ARGV[3], 'NX', 'GET')
  else
    redis.call('SET', key, ARGV[1], ARGV[2], ARGV[3])
  end
end
return previous`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rapportTakeBudget(key: string, count: number, limit: number): Result<number, Context>;
    rapportSetEach(
      keyCount: number,
      ...keysThenArgs: (string | number)[]
    ): Result<(string | null)[], Context>;
  }
}

export interface EventRef {
  readonly eventId: string;
  readonly customerId: string;
}

/**
 * Which ids an event's eventId is compared with: `http` (`/v1/interactions`, whatever tool sent
 * it), `segment`, or `webhook:<channel>`. A Segment call naming a provider's event id must not
 * claim it before the provider's own webhook arrives.
 */
export type DedupScope = string;

/**
 * The gateway's Redis state: deduplication by eventId and per-key rate limits. Keys carry the
 * customer's `{hash tag}` so that with Redis Cluster a customer's keys share a slot.
 */
export class Guards {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: {
      readonly keyPrefix: string;
      readonly dedupWindowSeconds: number;
      readonly pendingTtlMs: number;
      readonly rateLimitPerSecond: number;
    },
  ) {
    redis.defineCommand('rapportTakeBudget', { numberOfKeys: 1, lua: TAKE_BUDGET });
    redis.defineCommand('rapportSetEach', { lua: SET_EACH });
  }

  get rateLimitPerSecond(): number {
    return this.options.rateLimitPerSecond;
  }

  /**
   * `http` keeps the key it always had (ids acknowledged before an upgrade stay known); other
   * scopes sit in braces, which no id may contain, so no eventId can spell another scope's key.
   */
  private seenKey(scope: DedupScope, event: EventRef): string {
    const tag = `${this.options.keyPrefix}{${event.customerId}}`;
    return scope === 'http'
      ? `${tag}:seen:${event.eventId}`
      : `${tag}:seen{${scope}}:${event.eventId}`;
  }

  /**
   * Admits a request in one round trip: takes `events.length` from the write key's budget for this
   * second and claims each event (`SET NX GET`, one command for them all on one Redis), beside the
   * caller's `alongside` command. A new id becomes pending; an acked id is a duplicate of an
   * acknowledged event; a pending id is being accepted by another request. When the budget
   * refuses, the claims just made are released and `admitted` is false.
   */
  async admit(
    request: { readonly budget: string; readonly scope: DedupScope },
    events: readonly EventRef[],
    nowMs: number,
    alongside?: (pipeline: ChainableCommander) => void,
  ): Promise<{ admitted: boolean; outcomes: ClaimOutcome[]; alongside: unknown }> {
    const pipeline = pipelineOn(this.redis);
    // One command of the caller's in the same round trip (the identity routing), first.
    alongside?.(pipeline);
    pipeline.rapportTakeBudget(
      this.budgetKey(request.budget, nowMs),
      events.length,
      this.options.rateLimitPerSecond,
    );
    for (const group of this.groups(events)) this.setEach(pipeline, request.scope, group, PENDING);
    const replies = (await pipeline.exec()) ?? [];
    const extra = alongside === undefined ? undefined : replies.shift();
    const [budget, ...claims] = replies;
    const outcomes = claims.flatMap(([error, previous]): ClaimOutcome[] => {
      if (error) throw error;
      // One id's claim answers its previous value; a script's, a list of them.
      const values = Array.isArray(previous) ? (previous as unknown[]) : [previous];
      return values.map((value) => {
        if (value === null) return 'new';
        return value === ACKED ? 'duplicate' : 'in_flight';
      });
    });
    if (extra?.[0]) {
      // The caller's command failed: nothing is admitted, the claims just taken are given back.
      await this.release(
        request.scope,
        events.filter((_, index) => outcomes[index] === 'new'),
      );
      throw extra[0];
    }
    if (budget?.[0]) throw budget[0];
    if (budget?.[1] === 1) return { admitted: true, outcomes, alongside: extra?.[1] };
    await this.release(
      request.scope,
      events.filter((_, index) => outcomes[index] === 'new'),
    );
    return { admitted: false, outcomes, alongside: extra?.[1] };
  }

  /** After Kafka acknowledged: the ids stay known for the dedup window. */
  async confirm(scope: DedupScope, events: readonly EventRef[]): Promise<void> {
    await this.forEachSlot(events, (pipeline, group) =>
      this.setEach(pipeline, scope, group, ACKED),
    );
  }

  /** After a failed publish: the client's retry must be accepted, not called a duplicate. */
  async release(scope: DedupScope, events: readonly EventRef[]): Promise<void> {
    await this.forEachSlot(events, (pipeline, group) =>
      pipeline.del(...group.map((event) => this.seenKey(scope, event))),
    );
  }

  /**
   * Claims the events' ids (`pending`, only where absent) or confirms them (`acked`): one `SET`
   * for one id, one script for more. Only ever one id on a Cluster (`slotGroups`), where a
   * script would be routed by its key count: ioredis's auto-pipelining takes a custom command's
   * first argument for its key.
   */
  private setEach(
    pipeline: ChainableCommander,
    scope: DedupScope,
    events: readonly EventRef[],
    value: typeof PENDING | typeof ACKED,
  ): void {
    const keys = events.map((event) => this.seenKey(scope, event));
    const [only] = keys;
    const { pendingTtlMs, dedupWindowSeconds } = this.options;
    if (keys.length > 1) {
      const [unit, ttl, mode] =
        value === PENDING ? ['PX', pendingTtlMs, 'claim'] : ['EX', dedupWindowSeconds, 'set'];
      pipeline.rapportSetEach(keys.length, ...keys, value, unit, ttl, mode);
    } else if (only !== undefined && value === PENDING) {
      pipeline.set(only, value, 'PX', pendingTtlMs, 'NX', 'GET');
    } else if (only !== undefined) {
      pipeline.set(only, value, 'EX', dedupWindowSeconds);
    }
  }

  /** Events whose keys may share a command: all on one Redis, each alone on a Cluster. */
  private groups(events: readonly EventRef[]): EventRef[][] {
    return slotGroups(this.redis, events).filter((group) => group.length > 0);
  }

  /** One command per group of events whose keys may share a command, in one round trip. */
  private async forEachSlot(
    events: readonly EventRef[],
    command: (pipeline: ChainableCommander, group: readonly EventRef[]) => unknown,
  ): Promise<void> {
    if (events.length === 0) return;
    const pipeline = pipelineOn(this.redis);
    for (const group of this.groups(events)) command(pipeline, group);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /**
   * Claims one signed request (what its scheme names it by) as `admit` claims an event: a copy of
   * an acknowledged request is a `duplicate` whatever it holds, so it publishes nothing, not even
   * a second dead letter; a copy of one being answered is `in_flight`.
   */
  async claimRequest(scope: DedupScope, request: string): Promise<ClaimOutcome> {
    const key = this.requestKey(scope, request);
    const previous = await this.redis.set(
      key,
      PENDING,
      'PX',
      this.options.pendingTtlMs,
      'NX',
      'GET',
    );
    if (previous === null) return 'new';
    return previous === ACKED ? 'duplicate' : 'in_flight';
  }

  /** After the request was answered: known while its signature stays fresh, `ttlMs`. */
  async confirmRequest(scope: DedupScope, request: string, ttlMs: number): Promise<void> {
    await this.redis.set(
      this.requestKey(scope, request),
      ACKED,
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
    );
  }

  /** After it failed: the sender's retry of the request must be answered, not called a copy. */
  async releaseRequest(scope: DedupScope, request: string): Promise<void> {
    await this.redis.del(this.requestKey(scope, request));
  }

  /** A digest of what names the request: a signature has no business in `redis-cli --scan`. */
  private requestKey(scope: DedupScope, request: string): string {
    const digest = createHash('sha256').update(request).digest('hex');
    return `${this.options.keyPrefix}{${scope}}:request:${digest}`;
  }

  /** `budget` is a key's id (a digest: keys never show up in `redis-cli --scan`) or a channel. */
  private budgetKey(budget: string, nowMs: number): string {
    return `${this.options.keyPrefix}ratelimit:{${budget}}:${Math.floor(nowMs / 1000)}`;
  }
}
