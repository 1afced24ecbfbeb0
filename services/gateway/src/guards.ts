import { hash, randomBytes } from 'node:crypto';
import { pipelineOn, run, slotGroups, type RedisClient } from '@rapport/read-model';
import type { ChainableCommander, Result } from 'ioredis';

/**
 * How an event's id is claimed and confirmed. A new id is claimed (`SET NX GET`, for the dedup
 * window) with its request's token, `<claimed at, ms, base 36>.<process nonce><count>`. Once
 * Kafka acknowledged the request its claims are confirmed: a request of few events writes ACKED
 * on each id, a larger one writes one key for them all (`{batch:<token>}:acked`) instead of a
 * command per event, which was most of what Redis did for the gateway's batches. Another request
 * then finds each id
 * - a duplicate: ACKED, or a token whose batch key exists;
 * - in flight: a token younger than the pending timeout (that request may still be publishing),
 *   or PENDING, a claim taken before tokens (it expires on its own);
 * - abandoned: a token that old and never confirmed, its request having died between claiming
 *   and confirming. It is taken over (compare-and-set): the id is `new` again, as it was when a
 *   pending claim expired.
 */
const ACKED = 'acked';
/**
 * A signed request's claim while it is answered (`claimRequest`), and an event's claim before
 * tokens: either expires with the pending timeout.
 */
const PENDING = 'pending';
/**
 * Requests with fewer events confirm each id; a batch key would cost a key per request at the
 * rate of single events, as many keys again as their ids.
 */
const CONFIRM_EACH_BELOW = 8;

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
 * Claims every key it is given as `SET key ARGV[1] ARGV[2] ARGV[3] NX GET` would, one at a time,
 * answering each key's previous value (nil where there was none). One command for a whole batch:
 * a command per event cost the gateway more, in building and parsing commands and in their
 * garbage, than all else it asks of Redis.
 */
const CLAIM_EACH = `
local previous = {}
for index, key in ipairs(KEYS) do
  previous[index] = redis.call('SET', key, ARGV[1], ARGV[2], ARGV[3], 'NX', 'GET')
end
return previous`;

/**
 * Deletes each key that still holds ARGV[1], the releasing request's token: a claim another
 * request took over meanwhile (this one's publish outlived the pending timeout) is left to it.
 */
const RELEASE_EACH = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0`;

/** Claims an abandoned id for a new token, unless another request took it over first. */
const TAKE_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rapportTakeBudget(key: string, count: number, limit: number): Result<number, Context>;
    rapportClaimEach(
      keyCount: number,
      ...keysThenArgs: (string | number)[]
    ): Result<(string | null)[], Context>;
    rapportReleaseEach(keyCount: number, ...keysThenToken: string[]): Result<number, Context>;
    rapportReleaseOne(key: string, token: string): Result<number, Context>;
    rapportTakeOver(
      key: string,
      abandoned: string,
      token: string,
      windowSeconds: number,
    ): Result<number, Context>;
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
    redis.defineCommand('rapportClaimEach', { lua: CLAIM_EACH });
    redis.defineCommand('rapportReleaseEach', { lua: RELEASE_EACH });
    redis.defineCommand('rapportReleaseOne', { numberOfKeys: 1, lua: RELEASE_EACH });
    redis.defineCommand('rapportTakeOver', { numberOfKeys: 1, lua: TAKE_OVER });
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
   * second and claims each event with the request's token (`SET NX GET`, one command for them all
   * on one Redis), beside the caller's `alongside` command. Each id is answered as the head of
   * this file says (a batch key or a take-over asks one more round trip, only for ids claimed
   * before). When the budget refuses, the claims just made are released, `admitted` is false and
   * the outcomes tell only the ids claimed from the others. `token` confirms the request's claims
   * once it is published.
   */
  async admit(
    request: { readonly budget: string; readonly scope: DedupScope },
    events: readonly EventRef[],
    nowMs: number,
    alongside?: (pipeline: ChainableCommander) => void,
  ): Promise<{
    admitted: boolean;
    outcomes: ClaimOutcome[];
    alongside: unknown;
    token: string;
  }> {
    const token = newToken(nowMs);
    const pipeline = pipelineOn(this.redis);
    // One command of the caller's in the same round trip (the identity routing), first.
    alongside?.(pipeline);
    pipeline.rapportTakeBudget(
      this.budgetKey(request.budget, nowMs),
      events.length,
      this.options.rateLimitPerSecond,
    );
    for (const group of this.groups(events)) {
      this.claimEach(pipeline, request.scope, group, token);
    }
    const replies = (await pipeline.exec()) ?? [];
    const extra = alongside === undefined ? undefined : replies.shift();
    const [budget, ...claims] = replies;
    const previous = claims.flatMap(([error, reply]): (string | null)[] => {
      if (error) throw error;
      // One id's claim answers its previous value; a script's, a list of them.
      return Array.isArray(reply) ? (reply as (string | null)[]) : [reply as string | null];
    });
    const claimed = events.filter((_, index) => previous[index] === null);
    if (extra?.[0]) {
      // The caller's command failed: nothing is admitted, the claims just taken are given back.
      await this.release(request.scope, claimed, token);
      throw extra[0];
    }
    if (budget?.[0]) throw budget[0];
    if (budget?.[1] !== 1) {
      await this.release(request.scope, claimed, token);
      const outcomes = previous.map((value) => (value === null ? 'new' : 'in_flight'));
      return { admitted: false, outcomes, alongside: extra?.[1], token };
    }
    const outcomes = await this.settle(request.scope, events, previous, token, nowMs);
    return { admitted: true, outcomes, alongside: extra?.[1], token };
  }

  /**
   * After Kafka acknowledged the request claimed with `token`: its ids are duplicates now. One
   * round trip, beside the caller's `alongside` commands, of plain `SET`s (a script that Redis
   * answered NOSCRIPT would be sent again a round trip later). On one Redis with a ready
   * connection the commands are handed to its socket before this returns (a pipeline is written
   * at once), so a request sent once the caller has answered practically always reaches Redis
   * after them, whether or not the caller waits for the reply; one that does not is told
   * IN_FLIGHT, to retry.
   */
  async confirm(
    scope: DedupScope,
    events: readonly EventRef[],
    token: string,
    alongside?: (pipeline: ChainableCommander) => void,
  ): Promise<void> {
    const window = this.options.dedupWindowSeconds;
    const pipeline = pipelineOn(this.redis);
    alongside?.(pipeline);
    if (events.length >= CONFIRM_EACH_BELOW)
      pipeline.set(this.batchKey(token), ACKED, 'EX', window);
    else for (const event of events) pipeline.set(this.seenKey(scope, event), ACKED, 'EX', window);
    // Nothing awaited before this: `run` writes the pipeline in this call.
    await run(pipeline);
  }

  /**
   * After a failed publish: the client's retry must be accepted, not called a duplicate. Only
   * the claims still holding `token` are given back.
   */
  async release(scope: DedupScope, events: readonly EventRef[], token: string): Promise<void> {
    await this.forEachSlot(events, (pipeline, group) =>
      this.byKeys(
        scope,
        group,
        (keys) => pipeline.rapportReleaseEach(keys.length, ...keys, token),
        (key) => pipeline.rapportReleaseOne(key, token),
      ),
    );
  }

  /**
   * Each id's outcome from the value its claim found: none (`new`), or what another request left
   * there. Tokens are looked up for their batch keys in one round trip, abandoned ones taken over
   * in one more, each only when there is something to ask.
   */
  private async settle(
    scope: DedupScope,
    events: readonly EventRef[],
    previous: readonly (string | null)[],
    token: string,
    nowMs: number,
  ): Promise<ClaimOutcome[]> {
    const claimedAts = previous.map(claimedAt);
    const tokens = [
      ...new Set(
        previous.flatMap((value, index) =>
          value !== null && claimedAts[index] !== undefined ? [value] : [],
        ),
      ),
    ];
    const found = await this.ask(tokens.length, (pipeline) => {
      for (const other of tokens) pipeline.exists(this.batchKey(other));
    });
    const acked = new Set(tokens.filter((_, index) => found[index] === 1));
    // Claims found unconfirmed for longer than a publish may take: their requests died.
    const abandoned = previous.flatMap((value, index) => {
      const at = claimedAts[index];
      const event = events[index];
      if (value === null || at === undefined || acked.has(value) || event === undefined) return [];
      return nowMs - at >= this.options.pendingTtlMs ? [{ index, value, event }] : [];
    });
    const taken = await this.ask(abandoned.length, (pipeline) => {
      for (const { value, event } of abandoned) {
        const key = this.seenKey(scope, event);
        pipeline.rapportTakeOver(key, value, token, this.options.dedupWindowSeconds);
      }
    });
    const won = new Set(abandoned.filter((_, at) => taken[at] === 1).map(({ index }) => index));
    return previous.map((value, index) => {
      if (value === null || won.has(index)) return 'new';
      return value === ACKED || acked.has(value) ? 'duplicate' : 'in_flight';
    });
  }

  /**
   * Claims the events' ids with `token`, only where absent, for the dedup window: one `SET` for
   * one id, one script for more.
   */
  private claimEach(
    pipeline: ChainableCommander,
    scope: DedupScope,
    events: readonly EventRef[],
    token: string,
  ): void {
    const window = this.options.dedupWindowSeconds;
    this.byKeys(
      scope,
      events,
      (keys) => pipeline.rapportClaimEach(keys.length, ...keys, token, 'EX', window),
      (key) => pipeline.set(key, token, 'EX', window, 'NX', 'GET'),
    );
  }

  /**
   * Queues `many` with the events' keys when there are several (a script over them all, on one
   * Redis), else `one` with the lone event's key. Only ever one on a Cluster (`slotGroups`), where
   * a script would be routed by its key count: ioredis's auto-pipelining takes a custom command's
   * first argument for its key.
   */
  private byKeys(
    scope: DedupScope,
    events: readonly EventRef[],
    many: (keys: readonly string[]) => unknown,
    one: (key: string) => unknown,
  ): void {
    const keys = events.map((event) => this.seenKey(scope, event));
    const [only] = keys;
    if (keys.length > 1) many(keys);
    else if (only !== undefined) one(only);
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
    await this.ask(events.length, (pipeline) => {
      for (const group of this.groups(events)) command(pipeline, group);
    });
  }

  /** The replies of the commands `fill` queues, in one round trip; none is sent for `count` 0. */
  private async ask(
    count: number,
    fill: (pipeline: ChainableCommander) => void,
  ): Promise<unknown[]> {
    if (count === 0) return [];
    const pipeline = pipelineOn(this.redis);
    fill(pipeline);
    return run(pipeline);
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
    const digest = hash('sha256', request, 'hex');
    return `${this.options.keyPrefix}{${scope}}:request:${digest}`;
  }

  /** The key that confirms every id a request claimed with `token`. */
  private batchKey(token: string): string {
    return `${this.options.keyPrefix}{batch:${token}}:acked`;
  }

  /** `budget` is a key's id (a digest: keys never show up in `redis-cli --scan`) or a channel. */
  private budgetKey(budget: string, nowMs: number): string {
    return `${this.options.keyPrefix}ratelimit:{${budget}}:${Math.floor(nowMs / 1000)}`;
  }
}

/**
 * What makes each token unique: 48 random bits drawn once for this process, then a count of its
 * tokens. Drawing random bytes for every request cost the gateway more than the token's other work.
 */
const processNonce = randomBytes(6).toString('base64url');
let tokensIssued = 0;

/** A request's token: when it claimed (epoch ms, base 36), then this process's nonce and count. */
function newToken(nowMs: number): string {
  tokensIssued += 1;
  return `${nowMs.toString(36)}.${processNonce}${tokensIssued.toString(36)}`;
}

/** When a token (`newToken`) was claimed (epoch ms); undefined for ACKED, PENDING and anything else. */
function claimedAt(value: string | null): number | undefined {
  const dot = value?.indexOf('.') ?? -1;
  if (value === null || dot <= 0) return undefined;
  const at = Number.parseInt(value.slice(0, dot), 36);
  return Number.isSafeInteger(at) ? at : undefined;
}
