import type { Result } from 'ioredis';
import type { RedisClient } from './cluster.js';

/**
 * The customer's state and its history and timeline logs, in its data key (the layout: logs.ts):
 * varint(bytes of the state), the state, then the logs (`l` of the layout before): the history
 * log's length, the history log, the timeline log. A log is its count, then its entries oldest
 * first, each framed by varint(length × 2 + legacy). A log is handled as parts,
 * `{bytes, first, last, count}`: entries oldest first in bytes[first..last]. Capping walks only
 * the entries it drops (at the caps, every write drops as many as it appends), but a write still
 * costs time in proportion to the whole value: its bytes are copied four times, reading the key
 * into the script (GET), cutting each kept part out of it (string.sub), joining the parts into
 * the new value (table.concat) and storing that (SET). So the caps
 * (RAPPORT_HISTORY_LENGTH, RAPPORT_TIMELINE_LENGTH) bound a write's cost too.
 *
 * Stores of the layouts before are read as they are and rewritten on a customer's next write: a
 * customer without a data key keeps its state in its hash's `d` field and its logs in `l`, or
 * (the layout before that) in lists of JSON, newest first, or has nothing. Its first write moves
 * them into the data key (the lists' entries verbatim, as legacy ones), deletes the lists, and
 * re-creates its hash without `d` and `l`: Redis never turns a hash back into its compact
 * encoding when large fields are deleted, only a new hash starts compact.
 */
const VARINT = `
local function varint(value)
  local out = {}
  while value >= 128 do
    out[#out + 1] = string.char(value % 128 + 128)
    value = math.floor(value / 128)
  end
  out[#out + 1] = string.char(value)
  return table.concat(out)
end`;

const LOGS = `
${VARINT}
local function varintAt(bytes, at)
  local value, scale, byte = 0, 1, 0
  repeat
    byte = string.byte(bytes, at)
    value, scale, at = value + (byte % 128) * scale, scale * 128, at + 1
  until byte < 128
  return value, at
end
local function part(bytes, count)
  return {bytes = bytes, first = 1, last = #bytes, count = count}
end
local function adopted(list)
  local items = redis.call('LRANGE', list, 0, -1)
  local entries = {}
  for at = #items, 1, -1 do entries[#entries + 1] = varint(#items[at] * 2 + 1) .. items[at] end
  if #items > 0 then redis.call('DEL', list) end
  return part(table.concat(entries), #items)
end
-- The stored history and timeline, each as a part: from value's bytes from index from on (a
-- data key's logs, or the l field of the layout before), else adopted from the lists.
local function stored(value, from, historyList, timelineList)
  if not value or from > #value then return adopted(historyList), adopted(timelineList) end
  local length, at = varintAt(value, from)
  local last = at + length - 1
  local historyCount, history = varintAt(value, at)
  local timelineCount, timeline = varintAt(value, last + 1)
  return {bytes = value, first = history, last = last, count = historyCount},
    {bytes = value, first = timeline, last = #value, count = timelineCount}
end
-- Appends to pieces the newest limit entries of a log made of parts (oldest first), its count
-- first; returns how many bytes that is.
local function capped(parts, limit, pieces)
  local total = 0
  for _, each in ipairs(parts) do total = total + each.count end
  local drop = total - limit
  pieces[#pieces + 1] = varint(math.min(total, limit))
  local length = #pieces[#pieces]
  for _, each in ipairs(parts) do
    local bytes, at, last = each.bytes, each.first, each.last
    local dropping = math.max(0, math.min(drop, each.count))
    for _ = 1, dropping do
      local frame
      frame, at = varintAt(bytes, at)
      at = at + math.floor(frame / 2)
    end
    drop = drop - dropping
    pieces[#pieces + 1] = string.sub(bytes, at, last)
    length = length + last - at + 1
  end
  return length
end
-- The value of a data key: the state's length, the state, the history log's length, the history
-- log, the timeline log.
local function written(state, history, historyLimit, timeline, timelineLimit)
  local pieces = {varint(#state), state, ''}
  local length = capped(history, historyLimit, pieces)
  capped(timeline, timelineLimit, pieces)
  pieces[3] = varint(length)
  return table.concat(pieces)
end
-- The customer's stored logs (as parts), wherever its layout keeps them, and whether the
-- customer is of a layout before (no data key; its state in its hash's d, its logs in l or the
-- lists). A customer never written (no revision) has none of them, in any layout.
local function storedLogs(known, record, data, historyList, timelineList)
  if not known then return part('', 0), part('', 0), false end
  local value = redis.call('GET', data)
  if value then
    local length, at = varintAt(value, 1)
    local history, timeline = stored(value, at + length, historyList, timelineList)
    return history, timeline, false
  end
  local history, timeline = stored(redis.call('HGET', record, 'l'), 1, historyList, timelineList)
  return history, timeline, redis.call('HEXISTS', record, 'd') == 1
end
-- Re-creates a hash of a layout before without d and l, once they are in the data key: Redis
-- never turns a hash back into its compact encoding when large fields go, a new hash starts so.
local function compacted(record)
  local all, kept = redis.call('HGETALL', record), {}
  for at = 1, #all, 2 do
    if all[at] ~= 'd' and all[at] ~= 'l' then
      kept[#kept + 1] = all[at]
      kept[#kept + 1] = all[at + 1]
    end
  end
  redis.call('DEL', record)
  if #kept > 0 then redis.call('HSET', record, unpack(kept)) end
end`;

/**
 * The guarded write of one customer (its own hash slot). Applies only if the position is newer
 * than the one stored for that partition, and only if nobody wrote since the caller read.
 *
 * - `offset <= stored offset of that partition`: `stale` (0). Everything up to that offset is
 *   already in the state; a redelivery, a replay or a zombie consumer lands here and counts
 *   nothing twice.
 * - revision changed since the read: `conflict` (-1). Someone else folded events in meanwhile
 *   (a zombie after a rebalance, or another partition after the partition count grew); the
 *   caller re-reads and folds again, so nobody's events are overwritten.
 * - otherwise: applied (1), revision + 1, the state replaced and the history and timeline
 *   appended and capped in the data key (LOGS).
 *
 * Positions are kept per source: the customer's own events in `o`, the events of an id merged
 * into it (identity.ts) in `a:<that id>`, since another id's partition order is its own.
 *
 * KEYS: record, data, and the history and timeline lists of the layout before (adopted, then
 * gone). ARGV: expected revision, partition, offset, data (the state), history length, timeline length, snapshot
 * (one framed entry), the positions' field (`o` or `a:<id>`), the timeline entries (framed,
 * oldest first) and their count.
 * Returns {outcome, revision}; the revision is the stored one unless applied.
 */
const COMMIT = `
${LOGS}
local fields = redis.call('HMGET', KEYS[1], 'r', ARGV[8])
local revision = tonumber(fields[1] or '0')
local partition, offset = ARGV[2], tonumber(ARGV[3])
local positions, found = {}, false
for p, o in string.gmatch(fields[2] or '', '(%d+):(%d+)') do
  if p == partition then
    if offset <= tonumber(o) then return {0, revision} end
    found, o = true, ARGV[3]
  end
  positions[#positions + 1] = p .. ':' .. o
end
if revision ~= tonumber(ARGV[1]) then return {-1, revision} end
if not found then positions[#positions + 1] = partition .. ':' .. ARGV[3] end
local history, timeline, before = storedLogs(revision > 0, KEYS[1], KEYS[2], KEYS[3], KEYS[4])
revision = revision + 1
local value = written(ARGV[4], {history, part(ARGV[7], 1)}, tonumber(ARGV[5]),
  {timeline, part(ARGV[9], tonumber(ARGV[10]))}, tonumber(ARGV[6]))
if before then compacted(KEYS[1]) end
redis.call('HSET', KEYS[1], 'r', revision, ARGV[8], table.concat(positions, ','))
redis.call('SET', KEYS[2], value)
return {1, revision}`;

/**
 * Turns a customer into a pointer at the id it was merged into (`m`), keeping its record (state,
 * positions, the ids merged into it) for the survivor to absorb. Guarded like COMMIT; a customer
 * never written becomes a pointer with the empty state given.
 *
 * KEYS: record, data. ARGV: expected revision, the survivor, the empty state's data.
 * Returns {1, revision} (done), {0, revision} (a pointer already) or {-1, revision} (conflict).
 */
const TOMBSTONE = `
${VARINT}
local fields = redis.call('HMGET', KEYS[1], 'r', 'm', 'd')
local revision = tonumber(fields[1] or '0')
if fields[2] then return {0, revision} end
if revision ~= tonumber(ARGV[1]) then return {-1, revision} end
revision = revision + 1
redis.call('HSET', KEYS[1], 'r', revision, 'm', ARGV[2])
if not fields[3] and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 'o', '')
  redis.call('SET', KEYS[2], varint(#ARGV[3]) .. ARGV[3])
end
return {1, revision}`;

/**
 * The survivor absorbs a merged customer: the merged state, and the merged customer's positions
 * under `a:<its id>` (and those of the ids merged into it, as they were), so that its events
 * still on the log are folded once. Guarded like COMMIT; once is enough (the marker field).
 *
 * KEYS: record, data, and the history and timeline lists of the layout before (as COMMIT's).
 * ARGV: expected revision, data (the state), history length, timeline length, snapshot (one framed entry),
 * the marker field (`a:<merged id>`), the number of fields n, n field/value pairs, then the
 * merged customer's timeline entries (framed, oldest first; added as the oldest) and their count.
 * Returns {1, revision} (absorbed), {0, revision} (already) or {-1, revision} (conflict).
 */
const ABSORB = `
${LOGS}
local fields = redis.call('HMGET', KEYS[1], 'r', ARGV[6], 'm')
local revision = tonumber(fields[1] or '0')
if fields[2] then return {0, revision} end
if revision ~= tonumber(ARGV[1]) or fields[3] then return {-1, revision} end
local n = tonumber(ARGV[7])
local history, timeline, before = storedLogs(revision > 0, KEYS[1], KEYS[2], KEYS[3], KEYS[4])
revision = revision + 1
local value = written(ARGV[2], {history, part(ARGV[5], 1)}, tonumber(ARGV[3]),
  {part(ARGV[8 + n * 2], tonumber(ARGV[9 + n * 2])), timeline}, tonumber(ARGV[4]))
if before then compacted(KEYS[1]) end
redis.call('HSET', KEYS[1], 'r', revision)
redis.call('SET', KEYS[2], value)
if revision == 1 then redis.call('HSET', KEYS[1], 'o', '') end
for at = 8, 7 + n * 2, 2 do redis.call('HSETNX', KEYS[1], ARGV[at], ARGV[at + 1]) end
return {1, revision}`;

/**
 * A merged customer leaves the lists: out of the sorted indexes, and its schedule entry becomes
 * `<revision>|merged`, which no list reads and which keeps an older index update (a write of it
 * racing the merge) from putting it back.
 * KEYS: schedule, at_risk, dormant. ARGV: id, revision.
 */
const UNINDEX = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|merged')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`;

/** Parses a score as Redis writes it (`-inf`, `inf`, `%.17g`); Lua's tonumber cannot. */
const NUMBER = `
local function num(text)
  if text == '-inf' then return -math.huge end
  if text == 'inf' or text == '+inf' then return math.huge end
  return tonumber(text)
end`;

/**
 * The index updates of a batch of customers, and the projector's progress (all in the index
 * slot): one call for many customers, since a call's own cost (in Redis and in the client) is
 * most of what one customer's update costs. Each customer's update applies only for a revision
 * newer than the one indexed: two writers of one customer may reach the index in either order,
 * and the later revision must win. It appends the change to the stream in the same step, so every
 * indexed revision is announced exactly once, also when the update comes from a redelivery after
 * a crash. Progress is a high-water mark: a zombie's late call must not move it back.
 *
 * KEYS: schedule, at_risk, dormant, changes, progress.
 * ARGV: now, stream length, the number of customers, then six per customer: customerId,
 * revision, coolingAt, atRiskAt, dormantAt (numbers or ±inf), change payload ('' to announce
 * nothing: a replay building a generation nobody reads); then partition, offset pairs.
 * Returns per customer the change's stream id ('' when not announced), or false (nil) when the
 * index already had this revision.
 */
const INDEX = `
${NUMBER}
local schedule, atRisk, dormant, changes, progress = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now, streamLength, customers = num(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local ids = {}
for at = 4, 3 + customers * 6, 6 do
  local id, revision = ARGV[at], ARGV[at + 1]
  local coolingAt, atRiskAt, dormantAt, change = ARGV[at + 2], ARGV[at + 3], ARGV[at + 4], ARGV[at + 5]
  local indexed = redis.call('HGET', schedule, id)
  if indexed and tonumber(string.match(indexed, '^%d+')) >= tonumber(revision) then
    ids[#ids + 1] = false
  else
    redis.call('HSET', schedule, id, revision .. '|' .. coolingAt .. '|' .. atRiskAt .. '|' .. dormantAt)
    if num(dormantAt) > now then
      redis.call('ZADD', atRisk, atRiskAt, id)
    else
      redis.call('ZREM', atRisk, id)
    end
    redis.call('ZADD', dormant, dormantAt, id)
    if change == '' then
      ids[#ids + 1] = ''
    else
      ids[#ids + 1] = redis.call('XADD', changes, 'MAXLEN', '~', streamLength, '*', 'c', id, 'v', change)
    end
  end
end
for at = 4 + customers * 6, #ARGV - 1, 2 do
  local stored = tonumber(redis.call('HGET', progress, ARGV[at]) or '-1')
  if tonumber(ARGV[at + 1]) > stored then redis.call('HSET', progress, ARGV[at], ARGV[at + 1]) end
end
return ids`;

/**
 * One page of a list, read at instant `now` from the schedule every customer's index entry
 * records (status is a step function of time between writes: engaged until coolingAt, cooling
 * until atRiskAt, at risk until dormantAt, then dormant), so a customer who merely went quiet is
 * listed correctly without anything being rewritten. Customers found dormant while walking the
 * at-risk index leave it (they stay dormant until their next write, which re-adds them), so
 * walks do not slow down as dormant customers pile up.
 *
 * KEYS: schedule, the index walked, at_risk.
 * ARGV: 'at_risk' | 'dormant' (which index), statuses (comma-separated, '' for any), now,
 * 'asc' | 'desc',
 * cursor score ('' from the start), cursor member, wanted, budget (entries looked at, at most).
 * Returns {{member, score, ...}, next score, next member}; next score '' when the walk ended.
 */
const LIST = `
${NUMBER}
local schedule, walked, atRisk = KEYS[1], KEYS[2], KEYS[3]
local index, statuses, nowText, order = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local listed = {}
for name in string.gmatch(statuses, '[^,]+') do listed[name] = true end
local any = statuses == ''
local now = tonumber(nowText)
local cursorScore, cursorMember = ARGV[5], ARGV[6]
local wanted, budget = tonumber(ARGV[7]), tonumber(ARGV[8])

local function statusOf(entry)
  local _, c, a, d = string.match(entry, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not d then return nil end -- a merged customer's entry
  c, a, d = num(c), num(a), num(d)
  if now >= d then return 'dormant' end
  if now <= c then return 'engaged' end
  if now <= a then return 'cooling' end
  return 'at_risk'
end

-- Bytewise, as Redis orders members of equal score (Lua's < follows the locale).
local function compare(x, y)
  for i = 1, math.min(#x, #y) do
    local a, b = string.byte(x, i), string.byte(y, i)
    if a ~= b then return a < b and -1 or 1 end
  end
  if #x == #y then return 0 end
  return #x < #y and -1 or 1
end

local low, high = '-inf', '+inf'
-- Narrow the walk to where the wanted statuses can be: at risk means crossed before now,
-- engaged and cooling mean crossing at or after now; dormant means dormancy reached.
if index == 'at_risk' then
  if statuses == 'at_risk' then high = '(' .. nowText
  elseif not any and not listed['at_risk'] then low = nowText end
else
  if statuses == 'dormant' then high = nowText
  elseif not any and not listed['dormant'] then low = '(' .. nowText end
end

local skipThrough = false
local offset = 0
if cursorScore ~= '' then
  if order == 'asc' then low = cursorScore else high = cursorScore end
  local current = redis.call('ZSCORE', walked, cursorMember)
  if current and num(current) == num(cursorScore) then
    if order == 'asc' then
      offset = redis.call('ZRANK', walked, cursorMember) - redis.call('ZCOUNT', walked, '-inf', '(' .. cursorScore) + 1
    else
      offset = redis.call('ZREVRANK', walked, cursorMember) - redis.call('ZCOUNT', walked, '(' .. cursorScore, '+inf') + 1
    end
  else
    skipThrough = true
  end
end

local found, scanned, done = {}, 0, false
local lastScore, lastMember = '', ''
while #found < wanted * 2 and scanned < budget do
  local size = math.min(200, budget - scanned)
  local chunk
  if order == 'asc' then
    chunk = redis.call('ZRANGE', walked, low, high, 'BYSCORE', 'LIMIT', offset, size, 'WITHSCORES')
  else
    chunk = redis.call('ZRANGE', walked, high, low, 'BYSCORE', 'REV', 'LIMIT', offset, size, 'WITHSCORES')
  end
  if #chunk == 0 then done = true break end
  for i = 1, #chunk, 2 do
    local member, score = chunk[i], chunk[i + 1]
    offset, scanned = offset + 1, scanned + 1
    lastScore, lastMember = score, member
    local passed = skipThrough and num(score) == num(cursorScore)
      and compare(member, cursorMember) * (order == 'asc' and 1 or -1) <= 0
    if not passed then
      local entry = redis.call('HGET', schedule, member)
      local current = entry and statusOf(entry)
      if current == 'dormant' and index == 'at_risk' then
        redis.call('ZREM', atRisk, member)
        offset = offset - 1
      elseif current and (any or listed[current]) then
        found[#found + 1] = member
        found[#found + 1] = score
      end
    end
    if #found >= wanted * 2 or scanned >= budget then break end
  end
end
if done then return {found, '', ''} end
return {found, lastScore, lastMember}`;

/**
 * `reply`: a customer's record as `scriptedRecord` (record.ts) decodes it, the hash's fields
 * (RECORD_FIELDS, from ARGV[first] on) then its data key's value. KEYS: the record, its data key.
 */
const recordReply = (first: number) => `
local reply = redis.call('HMGET', KEYS[1], unpack(ARGV, ${first}))
reply[#reply + 1] = redis.call('GET', KEYS[2])`;

/**
 * One customer's record as a merge reads it: the record's fields, its data key, then the
 * positions of the ids merged into it (`a:<id>`). Atomic, and one round trip, as the `HGETALL`
 * before was.
 * KEYS: the record, its data key. ARGV: the alias prefix, then the record's fields
 * (RECORD_FIELDS).
 * Returns the fields' values in order (nil where absent), the data key's value (nil where
 * absent), then each alias's name and value.
 */
const WHOLE = `
${recordReply(2)}
local prefix = ARGV[1]
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, #prefix) == prefix then
    reply[#reply + 1] = field
    reply[#reply + 1] = redis.call('HGET', KEYS[1], field)
  end
end
return reply`;

/**
 * One customer as the query API reads it: the record's fields and its data key, in one step, so
 * that a write landing between two reads cannot pair one revision with another's state.
 * KEYS: the record, its data key. ARGV: the record's fields (RECORD_FIELDS).
 * Returns the fields' values in order (nil where absent), then the data key's (nil if none).
 */
const READ = `
${recordReply(1)}
return reply`;

/**
 * The newest id a change stream ever removed (trimmed, or deleted by an erasure), or an id above
 * it and below every id it keeps; `0-0` for a stream never created or that never removed one.
 * XINFO STREAM's `max-deleted-entry-id` (Redis 7) counts only deletions: trimming (`MAXLEN`,
 * `XTRIM`) does not move it. So when the stream removed more entries than that explains
 * (`entries-added` above `length`), the id just before the first entry kept stands for the
 * trimmed ones (they were all older), or the last id generated when none is kept. A script rather
 * than the command itself because XINFO names its key after a subcommand, so a Cluster client
 * cannot tell which node to ask; a script's declared key it can.
 * KEYS: the stream.
 */
const REMOVED_THROUGH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return '0-0' end
local reply = redis.call('XINFO', 'STREAM', KEYS[1])
local info = {}
for at = 1, #reply - 1, 2 do info[reply[at]] = reply[at + 1] end
local deleted = info['max-deleted-entry-id']
if not deleted then
  return redis.error_reply('XINFO STREAM gives no max-deleted-entry-id: the change stream needs Redis 7')
end
if info['entries-added'] <= info['length'] then return deleted end
local trimmed = info['last-generated-id']
if info['length'] > 0 then
  local ms, seq = string.match(info['first-entry'][1], '^(%d+)-(%d+)$')
  ms, seq = tonumber(ms), tonumber(seq)
  if seq > 0 then
    trimmed = string.format('%.0f-%.0f', ms, seq - 1)
  elseif ms > 0 then
    trimmed = string.format('%.0f-18446744073709551615', ms - 1)
  else
    trimmed = '0-0'
  end
end
local function parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local deletedMs, deletedSeq = parts(deleted)
local trimmedMs, trimmedSeq = parts(trimmed)
if deletedMs > trimmedMs or (deletedMs == trimmedMs and deletedSeq > trimmedSeq) then return deleted end
return trimmed`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rapportCommit(
      record: string,
      data: string,
      history: string,
      timeline: string,
      ...args: (string | number | Buffer)[]
    ): Result<[number, number], Context>;
    rapportTombstone(
      record: string,
      data: string,
      ...args: (string | number | Buffer)[]
    ): Result<[number, number], Context>;
    rapportAbsorb(
      record: string,
      data: string,
      history: string,
      timeline: string,
      ...args: (string | number | Buffer)[]
    ): Result<[number, number], Context>;
    rapportUnindex(
      schedule: string,
      atRisk: string,
      dormant: string,
      id: string,
      revision: number,
    ): Result<1, Context>;
    rapportIndex(
      schedule: string,
      atRisk: string,
      dormant: string,
      changes: string,
      progress: string,
      ...args: (string | number)[]
    ): Result<(string | null)[], Context>;
    rapportList(
      schedule: string,
      walked: string,
      atRisk: string,
      ...args: (string | number)[]
    ): Result<[string[], string, string], Context>;
    rapportRemovedThrough(stream: string): Result<string, Context>;
    rapportReadBuffer(
      record: string,
      data: string,
      ...fields: string[]
    ): Result<(Buffer | null)[], Context>;
    rapportWholeBuffer(
      record: string,
      data: string,
      ...args: string[]
    ): Result<(Buffer | null)[], Context>;
  }
}

/** Registers the scripts on a connection (EVALSHA, loaded on first use by ioredis). */
export function defineScripts(redis: RedisClient): void {
  redis.defineCommand('rapportCommit', { numberOfKeys: 4, lua: COMMIT });
  redis.defineCommand('rapportTombstone', { numberOfKeys: 2, lua: TOMBSTONE });
  redis.defineCommand('rapportAbsorb', { numberOfKeys: 4, lua: ABSORB });
  redis.defineCommand('rapportUnindex', { numberOfKeys: 3, lua: UNINDEX });
  redis.defineCommand('rapportIndex', { numberOfKeys: 5, lua: INDEX });
  redis.defineCommand('rapportList', { numberOfKeys: 3, lua: LIST });
  redis.defineCommand('rapportRemovedThrough', { numberOfKeys: 1, lua: REMOVED_THROUGH });
  redis.defineCommand('rapportWhole', { numberOfKeys: 2, lua: WHOLE });
  redis.defineCommand('rapportRead', { numberOfKeys: 2, lua: READ });
}

/** The Lua of the two writes, for a baseline that runs them without the projector (benchmarks). */
export const WRITE_SCRIPTS = { commit: COMMIT, index: INDEX } as const;
