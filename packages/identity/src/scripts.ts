import type { Cluster, Redis, Result } from 'ioredis';

/**
 * The identity map's Lua. Every key sits in the `{identity}` hash slot (keys.ts), so each script
 * is atomic on one Redis and on a Redis Cluster alike. Two hashes hold the edges, id → id it was
 * merged into: `pending` (decided, not yet on the log) and `links` (on the log: what routing
 * follows). `members` holds, per surviving id, the JSON list of every id merged into it, and
 * `suppressed` the keyed hashes of erased ids.
 */

/** Follows edges to the root; with `withPending`, also decided edges not yet on the log. */
const ROOT = `
local function rootOf(links, pending, id, unpublished)
  for _ = 1, 128 do
    local to = redis.call('HGET', links, id)
    if not to and pending then
      to = redis.call('HGET', pending, id)
      if to then
        unpublished[#unpublished + 1] = id
        unpublished[#unpublished + 1] = to
      end
    end
    if not to then return id end
    id = to
  end
  return redis.error_reply('IDENTITY_CHAIN identity chain longer than 128 links')
end`;

/**
 * Decides a link `from` → `into`: both are resolved to their roots (pending edges included, so
 * two links racing in opposite directions meet one decision: the first to get here wins and the
 * second finds them one person already); if the roots differ, the root of `from` is merged into
 * the root of `into`. Refused (0) when either id was erased.
 *
 * KEYS: links, pending, members, suppressed. ARGV: from, into, hash(from), hash(into).
 * Returns {0} (erased) or {1, survivor, merged (1|0), from, into, from, into, …}: the edges to
 * publish, pending ones found on the way and the new one, in no particular order.
 */
const RESERVE = `
${ROOT}
local links, pending, members, suppressed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('SISMEMBER', suppressed, ARGV[3]) == 1 or redis.call('SISMEMBER', suppressed, ARGV[4]) == 1 then
  return {0}
end
local unpublished = {}
local rootFrom = rootOf(links, pending, ARGV[1], unpublished)
if type(rootFrom) == 'table' then return rootFrom end
local rootInto = rootOf(links, pending, ARGV[2], unpublished)
if type(rootInto) == 'table' then return rootInto end
local merged = 0
if rootFrom ~= rootInto then
  merged = 1
  redis.call('HSET', pending, rootFrom, rootInto)
  unpublished[#unpublished + 1] = rootFrom
  unpublished[#unpublished + 1] = rootInto
  local kept = cjson.decode(redis.call('HGET', members, rootInto) or '[]')
  kept[#kept + 1] = rootFrom
  for _, id in ipairs(cjson.decode(redis.call('HGET', members, rootFrom) or '[]')) do
    kept[#kept + 1] = id
  end
  redis.call('HSET', members, rootInto, cjson.encode(kept))
  redis.call('HDEL', members, rootFrom)
end
return {1, rootInto, merged, unpack(unpublished)}`;

/**
 * Edges now on the log: routing follows them from here on. Only edges still pending: one an
 * erasure removed meanwhile stays removed (and its ids with it).
 * KEYS: links, pending. ARGV: from, into, from, into, …
 */
const CONFIRM = `
for at = 1, #ARGV - 1, 2 do
  if redis.call('HGET', KEYS[2], ARGV[at]) == ARGV[at + 1] then
    redis.call('HDEL', KEYS[2], ARGV[at])
    redis.call('HSET', KEYS[1], ARGV[at], ARGV[at + 1])
  end
end
return 1`;

/**
 * Where each id's events go: its root along the edges on the log, or '' when it was erased.
 * Erasures and first hops are read a chunk of ids per command (a command per id cost Redis half
 * as much again); only an id with a link is followed further. Chunks keep `unpack` far below
 * Lua's stack limit.
 * KEYS: links, suppressed. ARGV: n, then n ids, then their n hashes.
 */
const ROUTE = `
${ROOT}
local n = tonumber(ARGV[1])
local routes = {}
for first = 2, n + 1, 1000 do
  local last = math.min(first + 999, n + 1)
  local erased = redis.call('SMISMEMBER', KEYS[2], unpack(ARGV, first + n, last + n))
  local linked = redis.call('HMGET', KEYS[1], unpack(ARGV, first, last))
  for at = first, last do
    if erased[at - first + 1] == 1 then
      routes[#routes + 1] = ''
    elseif not linked[at - first + 1] then
      routes[#routes + 1] = ARGV[at]
    else
      local root = rootOf(KEYS[1], false, ARGV[at], nil)
      if type(root) == 'table' then return root end
      routes[#routes + 1] = root
    end
  end
end
return routes`;

/**
 * The person an id belongs to: its root (pending edges included) and the JSON list of the ids
 * merged into that root.
 * KEYS: links, pending, members. ARGV: id.
 */
const PERSON = `
${ROOT}
local root = rootOf(KEYS[1], KEYS[2], ARGV[1], {})
if type(root) == 'table' then return root end
return {root, redis.call('HGET', KEYS[3], root) or '[]'}`;

/**
 * Suppresses a person: their ids' hashes join the suppression list, unless the person changed
 * since the caller read them (someone merged into them, or they into someone: then 0, read and
 * try again). Their edges and members stay, so that an erasure cut short can be completed; FORGET
 * removes them once it is.
 * KEYS: links, pending, members, suppressed. ARGV: root, the members JSON as read, n, n ids,
 * n hashes.
 */
const SUPPRESS = `
local links, pending, members, suppressed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if (redis.call('HGET', members, ARGV[1]) or '[]') ~= ARGV[2] then return 0 end
if redis.call('HEXISTS', links, ARGV[1]) == 1 or redis.call('HEXISTS', pending, ARGV[1]) == 1 then
  return 0
end
local n = tonumber(ARGV[3])
for at = 4, n + 3 do redis.call('SADD', suppressed, ARGV[at + n]) end
return 1`;

/**
 * Forgets a suppressed person's edges and members: the last step of an erasure.
 * KEYS: links, pending, members. ARGV: root, then the ids.
 */
const FORGET = `
for at = 2, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[at])
  redis.call('HDEL', KEYS[2], ARGV[at])
end
redis.call('HDEL', KEYS[3], ARGV[1])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rapportIdentityReserve(
      links: string,
      pending: string,
      members: string,
      suppressed: string,
      ...args: string[]
    ): Result<(string | number)[], Context>;
    rapportIdentityConfirm(links: string, pending: string, ...args: string[]): Result<1, Context>;
    rapportIdentityRoute(
      links: string,
      suppressed: string,
      ...args: (string | number)[]
    ): Result<string[], Context>;
    rapportIdentityPerson(
      links: string,
      pending: string,
      members: string,
      id: string,
    ): Result<[string, string], Context>;
    rapportIdentitySuppress(
      links: string,
      pending: string,
      members: string,
      suppressed: string,
      ...args: (string | number)[]
    ): Result<0 | 1, Context>;
    rapportIdentityForget(
      links: string,
      pending: string,
      members: string,
      ...args: string[]
    ): Result<1, Context>;
  }
}

/** Registers the scripts on a connection (EVALSHA, loaded on first use by ioredis). */
export function defineIdentityScripts(redis: Redis | Cluster): void {
  redis.defineCommand('rapportIdentityReserve', { numberOfKeys: 4, lua: RESERVE });
  redis.defineCommand('rapportIdentityConfirm', { numberOfKeys: 2, lua: CONFIRM });
  redis.defineCommand('rapportIdentityRoute', { numberOfKeys: 2, lua: ROUTE });
  redis.defineCommand('rapportIdentityPerson', { numberOfKeys: 3, lua: PERSON });
  redis.defineCommand('rapportIdentitySuppress', { numberOfKeys: 4, lua: SUPPRESS });
  redis.defineCommand('rapportIdentityForget', { numberOfKeys: 3, lua: FORGET });
}
