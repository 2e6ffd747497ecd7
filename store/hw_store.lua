-- hirewire: the judgments of an atomic step (see store/hw_store.c,
-- docs/redis-keys.md).
--
-- The step is a MULTI/EXEC transaction the consumer sends after WATCHing
-- its fences (the epoch, <prefix>steps, which every step increments, the
-- watermark, its offsets and, when the day moves, the days and bucket logs
-- the slide read), reading what it computes from (those, the counters it
-- changes, the flow of the countries whose flow changes, the raid index of
-- the batch's pairs, alert:ids of the batch's alerts and of the raids it
-- found) and checking the type of every key it writes. The consumer
-- computes every new value and judges the raids: counters, the flow index,
-- buckets, persons, ids, the raid index and the alerts of the processors
-- and of the raids are written by native commands. This script runs last
-- in the transaction for what needs the group's state as those commands
-- left it, and costs per country, never per event: the brain_drain
-- judgment, its alerts and the stream's trim. Every key it touches was
-- type-checked before the transaction, so it does not fail.
--
-- The consumer names every key (processors/hw_keys.h), in order:
-- KEYS: the flow index of the brain_drain window (flow:<W>:index), then
--   under the alerts prefix alert:ids, alert:drain, the alerts stream and
--   each reader's place (alerts:<reader>: how far it delivered; entries
--   after that are never trimmed); last, when the step records where the
--   group's partitions are, its ends key (none: judge on `at end` alone).
-- ARGV, in order:
--   raise alerts (1/0), watermark after the step (ms, or -1), its day (or -1)
--   raised_at (ms), alerts stream maxlen, n_readers (of the KEYS above)
--   brain_drain on (1/0), brain_drain index threshold, brain_drain window
--   days and its name
--   at end (1/0)
--   then the sections, each led by its count:
--     n x (country, event ids as a JSON array)    brain_drain evidence
--   then the number of alerts the step's commands added to the stream
--   before this script (the processors' and the raids': the consumer read
--   alert:ids for them under WATCH).
-- Returns the number of alerts added to the stream, those included.

local INDEX, IDS, DRAIN, STREAM = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local raise = ARGV[1] == '1'
local num = tonumber
local new_wm, d_new = num(ARGV[2]), num(ARGV[3])
if d_new < 0 then d_new = nil end
local pos = 4
local function arg()
  local v = ARGV[pos]
  pos = pos + 1
  return v
end
local function int(v) return string.format('%d', v) end
local DAY = 86400000

-- Lua's unpack gives at most about 8,000 values (LUAI_MAXCSTACK): every
-- long argument list goes in chunks of at most UNPACK_MAX values.
local UNPACK_MAX = 4000

-- cmd key t[i..j] in chunks of whole `step`-sized entries. Returns the
-- concatenated array replies (for reads).
local function chunked(cmd, key, t, i, j, step)
  local max = UNPACK_MAX - UNPACK_MAX % step
  local out = nil
  while i <= j do
    local e = math.min(j, i + max - 1)
    local r = redis.call(cmd, key, unpack(t, i, e))
    if type(r) == 'table' then
      if not out and e == j then return r end
      out = out or {}
      for _, v in ipairs(r) do out[#out + 1] = v end
    end
    i = e + 1
  end
  return out or {}
end
local function call_list(cmd, key, t, step)
  if #t > 0 then return chunked(cmd, key, t, 1, #t, step) end
  return {}
end

local function stream_id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  return num(as) < num(bs)
end

-- yyyymmdd of a day number (days since 1970-01-01), worked out once a day.
local ymd_memo = {}
local function ymd_calc(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d%02d%02d', y, m, d)
end
local function ymd_of(z)
  local v = ymd_memo[z]
  if not v then
    v = ymd_calc(z)
    ymd_memo[z] = v
  end
  return v
end

-- Configuration of this step.
local raised_at, alerts_maxlen = arg(), num(arg())
local readers = {}
for k = 1, num(arg()) do readers[k] = KEYS[4 + k] end
local drain_on, drain_index, drain_days = arg() == '1', num(arg()), num(arg())
local drain_window = arg()
local drain_judge = arg() == '1'
local ENDS_STALE_MS = 60000
local ends_key = KEYS[5 + #readers]

-- brain_drain evidence, alerts already added.
local drain_ids = {}
for _ = 1, num(arg()) do
  drain_ids[ARGV[pos]] = ARGV[pos + 1]
  pos = pos + 2
end
local alerts = {}
local added = num(arg())
if pos ~= #ARGV + 1 then
  return redis.error_reply('hirewire step: ' .. (#ARGV + 1 - pos) .. ' arguments left over')
end

-- 1. The brain_drain judgment on the state the step's commands left.

-- One alert per episode: a brain_drain of a country (id_prefix, the
-- alert id without its day) raised for a day less than `days` from day D
-- is the same drain. Returns that day, or nil.
local function raised_near(id_prefix, D, days)
  local ids, found = {}, nil
  for x = D - days + 1, D + days - 1 do
    ids[#ids + 1] = id_prefix .. ymd_of(x)
  end
  local member = call_list('SMISMEMBER', IDS, ids, 1)
  for k, v in ipairs(member) do
    if v == 1 then found = D - days + k end
  end
  return found
end

-- brain_drain, judged only in a step that takes the consumer to the end of
-- every partition it reads, when no member of its group is behind: each
-- country whose index over the rule's window is below the threshold,
-- unless a brain_drain of the country was raised for a day less than that
-- window from the watermark's (one drain, one alert).
if drain_judge and ends_key then
  for _, v in ipairs(redis.call('HVALS', ends_key)) do
    if v ~= '1' and num(raised_at) - (num(v) or 0) < ENDS_STALE_MS then
      drain_judge = false
    end
  end
end
if drain_on and drain_judge and d_new then
  local below = redis.call('ZRANGEBYSCORE', INDEX,
    '-inf', '(' .. string.format('%.17g', drain_index), 'WITHSCORES')
  local codes = {}
  for k = 1, #below, 2 do codes[#codes + 1] = below[k] end
  local last = call_list('HMGET', DRAIN, codes, 1)
  for k, code in ipairs(codes) do
    local d = num(last[k])
    if not d then
      d = raised_near('brain_drain:' .. code .. ':', d_new, drain_days)
      if d and raise then redis.call('HSET', DRAIN, code, int(d)) end
    end
    if not d or math.abs(d_new - d) >= drain_days then
      local day, index = ymd_of(d_new), num(below[2 * k])
      alerts[#alerts + 1] = {
        'brain_drain:' .. code .. ':' .. day, 'brain_drain', 'WARN', code,
        string.format('%s net AI talent index fell to %.2f per 10,000 (%s), below %.2f',
          code, index, drain_window, drain_index),
        int(new_wm), drain_ids[code] or '[]',
        cjson.encode({country = code, index = string.format('%.4f', index),
          window = drain_window, day = day}),
        int(d_new)}
    end
  end
end

-- 2. Alerts: each id once, ever (alert:ids), then into the stream.
for _, a in ipairs(raise and alerts or {}) do
  if a[2] == 'brain_drain' then redis.call('HSET', DRAIN, a[4], a[9]) end
  if redis.call('SADD', IDS, a[1]) == 1 then
    added = added + 1
    redis.call('XADD', STREAM, '*',
      'alert_id', a[1], 'rule', a[2], 'severity', a[3], 'subject', a[4],
      'summary', a[5], 'event_time', a[6], 'raised_at', raised_at,
      'event_ids', a[7], 'attributes', a[8])
  end
end
-- Trim the stream to about alerts_maxlen entries, but never past what a
-- reader has not delivered yet: at most the oldest entries that are both
-- beyond the newest alerts_maxlen and delivered by every reader, 1000 per
-- step.
if added > 0 then
  local excess = redis.call('XLEN', STREAM) - alerts_maxlen
  if excess > 0 then
    local upto = '+'
    for _, key in ipairs(readers) do
      local at = redis.call('GET', key) or '0-0'
      -- A place that is not a stream id (set by hand) says nothing of
      -- what the reader delivered: trim nothing.
      if not string.match(at, '^%d+%-%d+$') then at = '0-0' end
      if upto == '+' or stream_id_less(at, upto) then upto = at end
    end
    if upto ~= '0-0' then
      local cut = redis.call('XRANGE', STREAM, '-', upto, 'COUNT', math.min(excess, 1000))
      if #cut > 0 then
        local ms, seq = string.match(cut[#cut][1], '^(%d+)-(%d+)$')
        redis.call('XTRIM', STREAM, 'MINID', ms .. '-' .. string.format('%d', num(seq) + 1))
      end
    end
  end
end
return added
