-- hirewire: apply one batch atomically (see core/hw_store.c, docs/redis-keys.md).
--
-- The consumer computes, this step applies: the window fan-out, the
-- bucket records, the slide (what the days leaving a window take out of
-- it) and the per-field sums come pre-aggregated (processors/hw_plan.c)
-- for the watermark's day before the step and the day D it reaches, and
-- for the bucket logs the slide read: all three are fences, like the
-- offsets. What needs the group's shared state stays here and costs per
-- key or per day: the flow index, raid and brain_drain.
-- Everything that can fail is read or checked before the first write, so
-- a step Redis refuses leaves nothing written.
--
-- ARGV, in order:
--   prefix, alerts prefix (of alert:ids, alert:drain and the alerts stream)
--   epoch the batch began with ("" = none), raise alerts (1/0)
--   n_offsets, then n_offsets x (key, expected, next); expected "" = absent
--   watermark candidate (ms, or "-1"), D assumed (day number, or "-1"),
--   the day before assumed (day number, or "-1")
--   n_leaving, then n_leaving x (yyyymmdd, length, generation): every
--   bucket log the slide read (the days in (before - largest window,
--   D - smallest]), by day
--   n_windows, then n_windows x days
--   seen_days
--   raised_at (ms), alerts stream maxlen
--   n_readers, then n_readers x reader name (alerts:<name> holds how far it
--   delivered: entries after that are never trimmed)
--   raid on (1/0), raid count, raid days
--   brain_drain on (1/0), brain_drain index threshold, brain_drain window days
--   at end (1/0), the group's ends key ('' = none), n_ends, then
--   n_ends x (field "<topic>:<partition>", 1/0)
--   n_countries, then n_countries x (code, base or "0", groups "a,b" or "")
--   then the sections, each led by its count:
--     n keys x (key, zset 1/0, n, n fields, n deltas)   counter changes
--     n x (key, field, value)                            hash field values
--     n x (person_id, lab, origin, nationality, alma_mater, tier, at, event_id)
--     n days x (yyyymmdd, day, n, n event ids)           applied event ids
--     n days x (yyyymmdd, day, records)                  records appended to b:<yyyymmdd>
--     n x (yyyymmdd, length, generation, records)        logs compacted, if still of that length and generation
--     n x raid key (no prefix)                           pruned of days leaving the largest window
--     n pairs x (lab slug, org slug, n, n org names, lo, hi, n, n x (day, event_id))
--     n x (country, event ids as a JSON array)           brain_drain evidence
--     n x (alert_id, rule, severity, subject, summary, event_time, event_ids, attributes)
-- Returns {1, watermark, alerts added} when applied; {0, key, stored} when the epoch or
-- an offset is not the one the batch started from, {2, watermark key,
-- stored watermark} when the watermark's day before or after the step or
-- a bucket log the slide read is not the one the plan assumed (nothing is
-- written then).

local P, AP = ARGV[1], ARGV[2]
local pos = 5
local function arg()
  local v = ARGV[pos]
  pos = pos + 1
  return v
end
local num = tonumber
local function int(v) return string.format('%d', v) end
local DAY = 86400000
local EXACT = 9007199254740992 -- 2^53: above it, leave arithmetic to HINCRBY

-- Lua's unpack gives at most about 8,000 values (LUAI_MAXCSTACK): every
-- long argument list goes in chunks of at most UNPACK_MAX values.
local UNPACK_MAX = 4000

-- cmd key? t[i..j] in chunks of whole `step`-sized entries (t = ARGV or a
-- table). Returns the concatenated array replies (for reads).
local function chunked(cmd, key, t, i, j, step)
  local max = UNPACK_MAX - UNPACK_MAX % step
  local out = nil
  while i <= j do
    local e = math.min(j, i + max - 1)
    local r
    if key then r = redis.pcall(cmd, key, unpack(t, i, e)) else r = redis.pcall(cmd, unpack(t, i, e)) end
    if type(r) == 'table' and r.err then
      -- Name the key: Redis's own error does not.
      error({err = r.err .. ' (' .. cmd .. ' ' .. (key or '') .. ')'})
    end
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

local function json_list(t)
  if #t == 0 then return '[]' end
  return cjson.encode(t)
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

-- Keys written without being read first: their type is checked up front.
local expect = {}
local function check_type(key, want)
  expect[key] = want
end

-- 1. Fences: no swap since the batch began (the epoch), every offset the
-- one the batch started from, and the watermark's day the one the plan
-- was computed for.
local epoch = redis.call('GET', P .. 'epoch') or ''
if epoch ~= ARGV[3] then return {0, P .. 'epoch', epoch} end
local raise = ARGV[4] == '1'
local n_off = num(arg())
local off_first = pos
pos = pos + 3 * n_off
if n_off > 0 then
  local keys = {}
  for k = 1, n_off do keys[k] = ARGV[off_first + 3 * (k - 1)] end
  local stored = call_list('MGET', nil, keys, 1)
  for k = 1, n_off do
    local s = stored[k] or ''
    if s == false then s = '' end
    if s ~= ARGV[off_first + 3 * (k - 1) + 1] then return {0, keys[k], s} end
  end
end
local candidate, assumed, before = num(arg()), num(arg()), num(arg())
local wm_key = P .. 'watermark'
local stored_wm = redis.call('GET', wm_key)
local old_wm = num(stored_wm or '-1')
if not old_wm then return redis.error_reply('hirewire store: ' .. wm_key .. ' is not a number') end
local new_wm = math.max(old_wm, candidate)
local d_old = old_wm >= 0 and math.floor(old_wm / DAY) or nil
local d_new = new_wm >= 0 and math.floor(new_wm / DAY) or nil
local stale = {2, wm_key, stored_wm or ''}
if (d_new or -1) ~= assumed or (d_old or -1) ~= before then return stale end
local n_leaving = num(arg())
local leaving_first = pos
pos = pos + 3 * n_leaving

-- 2. Configuration of this step.
local windows = {}
for k = 1, num(arg()) do windows[k] = num(arg()) end
local max_window = windows[#windows]
local seen_days = num(arg())
local raised_at, alerts_maxlen = arg(), num(arg())
local readers = {}
for k = 1, num(arg()) do readers[k] = arg() end
local raid_on, raid_count, raid_days = arg() == '1', num(arg()), num(arg())
local drain_on, drain_index, drain_days = arg() == '1', num(arg()), num(arg())
local drain_window = drain_days .. 'd'
local drain_judge = arg() == '1'
local ENDS_STALE_MS = 60000
local ends_key, ends = arg(), {}
for k = 1, num(arg()) do
  ends[2 * k - 1] = arg()
  ends[2 * k] = arg() == '1' and '1' or raised_at
end
local countries = {}
for k = 1, num(arg()) do
  local code, base, groups = arg(), num(arg()), arg()
  local g = {}
  for name in string.gmatch(groups, '[^,]+') do g[#g + 1] = name end
  countries[code] = {base = base, groups = g}
end
local wnames = {'all'}
for _, n in ipairs(windows) do wnames[#wnames + 1] = n .. 'd' end

-- 3. Reads, checks and sums; nothing is written before section 4.
local writes = {} -- {cmd, key, list, step}
local function write(cmd, key, list, step)
  if #list > 0 then writes[#writes + 1] = {cmd, key, list, step} end
end

local function raid_key(lab_slug, org_slug)
  return P .. 'raid:' .. lab_slug .. ':' .. org_slug
end
local days_key, seen_days_key, gen_key = P .. 'b:days', P .. 'seen:days', P .. 'b:gen'
check_type(days_key, 'zset')
check_type(gen_key, 'hash')
check_type(seen_days_key, 'zset')
local dels, gone_days = {}, {}
local slid = d_old and d_new > d_old
if slid then
  -- The bucket logs the slide read must be those there now, unchanged:
  -- a log is only appended to, or compacted, which counts a generation.
  local got = redis.call('ZRANGEBYSCORE', days_key,
    '(' .. int(d_old - max_window), int(d_new - windows[1]))
  if #got ~= n_leaving then return stale end
  local gens = #got > 0 and redis.pcall('HMGET', gen_key, unpack(got)) or {}
  if gens.err then
    return redis.error_reply('WRONGTYPE hirewire store: ' .. gen_key .. ' is not a hash')
  end
  for k = 1, n_leaving do
    local at = leaving_first + 3 * (k - 1)
    local ymd = ARGV[at]
    if got[k] ~= ymd or (gens[k] or '0') ~= ARGV[at + 2] then return stale end
    local len = redis.pcall('STRLEN', P .. 'b:' .. ymd)
    if type(len) == 'table' then
      return redis.error_reply('WRONGTYPE hirewire store: ' .. P .. 'b:' .. ymd .. ' is not a bucket log')
    end
    if len ~= num(ARGV[at + 1]) then return stale end
  end
  gone_days = redis.call('ZRANGEBYSCORE', days_key, '-inf', int(d_new - max_window))
  for _, ymd in ipairs(gone_days) do
    dels[#dels + 1] = P .. 'b:' .. ymd
  end
  for _, ymd in ipairs(redis.call('ZRANGEBYSCORE', seen_days_key, '-inf', int(d_new - seen_days))) do
    dels[#dels + 1] = P .. 'seen:' .. ymd
  end
end

-- New values of the flow in/out fields and of the lab hires all-time
-- fields this step changes (what the flow index and raid read), and the
-- countries touched per window.
local new_values, flow_touched = {}, {}
local function flow_of(key)
  if string.sub(key, 1, #P + 5) ~= P .. 'flow:' then return nil end
  local w, what = string.match(string.sub(key, #P + 6), '^([^:]+):(%a+)$')
  if what == 'in' or what == 'out' then return w end
  return nil
end

-- The writes of one key, from its current values (cur) and deltas: field
-- k is ft[fo + k], its delta dt[do_ + k] (a decimal string).
local function settle(key, zset, ft, fo, dt, do_, n, cur)
  local set, del, ns, nd, exact = {}, {}, 0, 0, true
  local w = flow_of(key)
  local fnew = nil
  if w or string.sub(key, -10) == ':hires:all' then
    fnew = new_values[key] or {}
    new_values[key] = fnew
  end
  local touched = nil
  if w then
    touched = flow_touched[w] or {}
    flow_touched[w] = touched
  end
  for k = 1, n do
    local f = ft[fo + k]
    local delta = num(dt[do_ + k])
    local c = cur[k]
    local v = delta
    if c then
      local cv = num(c)
      if not cv then
        return redis.error_reply('hirewire store: ' .. key .. ' ' .. f .. ' holds "' .. c .. '", not a number')
      end
      v = cv + delta
    end
    if fnew then fnew[f] = v end
    if touched then touched[f] = true end
    if v == 0 then
      nd = nd + 1
      del[nd] = f
    else
      if v >= EXACT or v <= -EXACT then exact = false end
      if zset then
        set[ns + 1] = int(v)
        set[ns + 2] = f
      else
        set[ns + 1] = f
        set[ns + 2] = int(v)
      end
      ns = ns + 2
    end
  end
  if not exact and not zset then
    -- Past 2^53 Lua's numbers are not exact: leave the sums to HINCRBY.
    local incr = {}
    for k = 1, n do
      local f = ft[fo + k]
      incr[2 * k - 1] = f
      incr[2 * k] = dt[do_ + k]
    end
    writes[#writes + 1] = {'INCR', key, incr, 2}
    return nil
  end
  if zset then
    write('ZADD', key, set, 2)
    write('ZREM', key, del, 1)
  else
    write('HSET', key, set, 2)
    write('HDEL', key, del, 1)
  end
  return nil
end

-- Counter changes of the plan (the slide's included).
local n_keys = num(arg())
for _ = 1, n_keys do
  local key, zset, n = ARGV[pos], ARGV[pos + 1] == '1', num(ARGV[pos + 2])
  local f0 = pos + 3
  local d0 = f0 + n
  pos = d0 + n
  local cur = chunked(zset and 'ZMSCORE' or 'HMGET', key, ARGV, f0, f0 + n - 1, 1)
  local err = settle(key, zset, ARGV, f0 - 1, ARGV, d0 - 1, n, cur)
  if err then return err end
end

-- Net flow and index per window, for the countries whose in/out changed.
-- Every country with a base is in the index sets (0 without flows), so a
-- rank is among all members of a group.
local index_init = {}
if new_wm >= 0 then
  local codes = {}
  for code, c in pairs(countries) do
    if c.base > 0 then codes[#codes + 1] = code end
  end
  table.sort(codes)
  local all, by_group, group_order = {}, {}, {}
  for _, code in ipairs(codes) do
    all[#all + 1] = '0'
    all[#all + 1] = code
    for _, g in ipairs(countries[code].groups) do
      if not by_group[g] then
        by_group[g] = {}
        group_order[#group_order + 1] = g
      end
      table.insert(by_group[g], '0')
      table.insert(by_group[g], code)
    end
  end
  for _, w in ipairs(wnames) do
    local base = P .. 'flow:' .. w .. ':index'
    check_type(base, 'zset')
    if #all > 0 then index_init[#index_init + 1] = {base, all} end
    for _, g in ipairs(group_order) do
      check_type(base .. ':' .. g, 'zset')
      index_init[#index_init + 1] = {base .. ':' .. g, by_group[g]}
    end
  end
end
local flow_writes = {}
for _, w in ipairs(wnames) do
  local t = flow_touched[w]
  if t then
    local codes = {}
    for code in pairs(t) do codes[#codes + 1] = code end
    table.sort(codes)
    local in_key, out_key = P .. 'flow:' .. w .. ':in', P .. 'flow:' .. w .. ':out'
    local ins = call_list('HMGET', in_key, codes, 1)
    local outs = call_list('HMGET', out_key, codes, 1)
    local new_in, new_out = new_values[in_key] or {}, new_values[out_key] or {}
    local net_add, net_rem, idx_add, grp_add, grp_order = {}, {}, {}, {}, {}
    for k, code in ipairs(codes) do
      local i = new_in[code] or num(ins[k]) or 0
      local o = new_out[code] or num(outs[k]) or 0
      local c = countries[code]
      if i == 0 and o == 0 then
        net_rem[#net_rem + 1] = code
      else
        net_add[#net_add + 1] = int(i - o)
        net_add[#net_add + 1] = code
      end
      if c and c.base > 0 then
        local score = string.format('%.17g', (i - o) * 10000 / c.base)
        idx_add[#idx_add + 1] = score
        idx_add[#idx_add + 1] = code
        for _, g in ipairs(c.groups) do
          if not grp_add[g] then
            grp_add[g] = {}
            grp_order[#grp_order + 1] = g
          end
          table.insert(grp_add[g], score)
          table.insert(grp_add[g], code)
        end
      end
    end
    local base = P .. 'flow:' .. w
    check_type(base .. ':net', 'zset')
    check_type(base .. ':index', 'zset')
    flow_writes[#flow_writes + 1] = {'ZADD', base .. ':net', net_add, 2}
    flow_writes[#flow_writes + 1] = {'ZREM', base .. ':net', net_rem, 1}
    flow_writes[#flow_writes + 1] = {'ZADD', base .. ':index', idx_add, 2}
    for _, g in ipairs(grp_order) do
      check_type(base .. ':index:' .. g, 'zset')
      flow_writes[#flow_writes + 1] = {'ZADD', base .. ':index:' .. g, grp_add[g], 2}
    end
  end
end

-- Hash field values (lab names), persons, seen ids, buckets, raid pairs,
-- brain_drain evidence and alerts: positions in ARGV.
local sets = {}
local n_sets = num(arg())
for _ = 1, n_sets do
  local key = ARGV[pos]
  sets[key] = sets[key] or {}
  sets[key][ARGV[pos + 1]] = ARGV[pos + 2]
  check_type(key, 'hash')
  pos = pos + 3
end
local sets_first = pos - 3 * n_sets
local n_persons = num(arg())
local persons_first = pos
pos = pos + 8 * n_persons
local seen = {}
for _ = 1, num(arg()) do
  local ymd, d, n = ARGV[pos], ARGV[pos + 1], num(ARGV[pos + 2])
  seen[#seen + 1] = {ymd, d, pos + 3, pos + 2 + n}
  check_type(P .. 'seen:' .. ymd, 'set')
  pos = pos + 3 + n
end
local buckets, bucket_days = {}, {}
for _ = 1, num(arg()) do
  local ymd = ARGV[pos]
  bucket_days[#bucket_days + 1] = ARGV[pos + 1]
  bucket_days[#bucket_days + 1] = ymd
  buckets[#buckets + 1] = pos
  check_type(P .. 'b:' .. ymd, 'string')
  pos = pos + 3
end
local compactions = {}
for _ = 1, num(arg()) do
  compactions[#compactions + 1] = pos
  check_type(P .. 'b:' .. ARGV[pos], 'string')
  pos = pos + 4
end
local prunes = {}
for _ = 1, num(arg()) do
  prunes[#prunes + 1] = P .. arg()
  check_type(prunes[#prunes], 'zset')
end
local raids = {}
for _ = 1, num(arg()) do
  local r = {lab = ARGV[pos], org = ARGV[pos + 1]}
  local n = num(ARGV[pos + 2])
  r.names = {}
  for k = 1, n do r.names[k] = ARGV[pos + 2 + k] end
  pos = pos + 3 + n
  r.lo, r.hi = num(ARGV[pos]), num(ARGV[pos + 1])
  local ne = num(ARGV[pos + 2])
  r.ev_first, r.ev_last = pos + 3, pos + 2 + 2 * ne
  pos = pos + 3 + 2 * ne
  r.key = raid_key(r.lab, r.org)
  check_type(r.key, 'zset')
  check_type(P .. 'lab:' .. r.lab, 'hash')
  raids[#raids + 1] = r
end
local drain_ids = {}
for _ = 1, num(arg()) do
  drain_ids[ARGV[pos]] = ARGV[pos + 1]
  pos = pos + 2
end
local alerts = {}
for _ = 1, num(arg()) do
  alerts[#alerts + 1] = {ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], ARGV[pos + 3],
    ARGV[pos + 4], ARGV[pos + 5], ARGV[pos + 6], ARGV[pos + 7]}
  pos = pos + 8
end
if pos ~= #ARGV + 1 then
  return redis.error_reply('hirewire store: ' .. (#ARGV + 1 - pos) .. ' arguments left over')
end
if ends_key ~= '' and #ends > 0 then check_type(ends_key, 'hash') end
check_type(AP .. 'alert:ids', 'set')
check_type(AP .. 'alert:drain', 'hash')
check_type(AP .. 'alerts', 'stream')
for _, name in ipairs(readers) do check_type(AP .. 'alerts:' .. name, 'string') end
for key, want in pairs(expect) do
  local t = redis.call('TYPE', key)
  t = t.ok or t
  if t ~= 'none' and t ~= want then
    return redis.error_reply('WRONGTYPE hirewire store: ' .. key .. ' is a ' .. t .. ', not a ' .. want)
  end
end

-- 4. Writes.
if ends_key ~= '' and #ends > 0 then
  call_list('HSET', ends_key, ends, 2)
  if drain_judge then
    for _, v in ipairs(redis.call('HVALS', ends_key)) do
      if v ~= '1' and num(raised_at) - (num(v) or 0) < ENDS_STALE_MS then
        drain_judge = false
      end
    end
  end
end
if slid then
  for _, key in ipairs(prunes) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', int(d_new - max_window))
  end
  call_list('DEL', nil, dels, 1)
  call_list('HDEL', gen_key, gone_days, 1)
  redis.call('ZREMRANGEBYSCORE', days_key, '-inf', int(d_new - max_window))
  redis.call('ZREMRANGEBYSCORE', seen_days_key, '-inf', int(d_new - seen_days))
end
for _, wr in ipairs(writes) do
  if wr[1] == 'INCR' then
    local l = wr[3]
    for k = 1, #l, 2 do
      if redis.call('HINCRBY', wr[2], l[k], l[k + 1]) == 0 then
        redis.call('HDEL', wr[2], l[k])
      end
    end
  else
    call_list(wr[1], wr[2], wr[3], wr[4])
  end
end
for _, ini in ipairs(index_init) do redis.call('ZADD', ini[1], 'NX', unpack(ini[2])) end
for _, wr in ipairs(flow_writes) do call_list(wr[1], wr[2], wr[3], wr[4]) end
for k = sets_first, sets_first + 3 * n_sets - 1, 3 do
  redis.call('HSET', ARGV[k], ARGV[k + 1], ARGV[k + 2])
end
for k = persons_first, persons_first + 8 * (n_persons - 1), 8 do
  redis.call('HSET', P .. 'person:' .. ARGV[k], 'lab', ARGV[k + 1],
    'origin', ARGV[k + 2], 'nationality', ARGV[k + 3], 'alma_mater', ARGV[k + 4],
    'tier', ARGV[k + 5], 'at', ARGV[k + 6], 'event_id', ARGV[k + 7])
end
-- Applied ids, a set per day, and the days in their index.
local function add_days(list, key_of, days_index)
  if #list == 0 then return end
  local zl = {}
  for _, e in ipairs(list) do
    chunked('SADD', key_of .. e[1], ARGV, e[3], e[4], 1)
    zl[#zl + 1] = e[2]
    zl[#zl + 1] = e[1]
  end
  call_list('ZADD', days_index, zl, 2)
end
-- Bucket logs: compacted (when no other step wrote to them meanwhile:
-- same length and generation), then appended to.
for _, at in ipairs(compactions) do
  local key = P .. 'b:' .. ARGV[at]
  if redis.call('STRLEN', key) == num(ARGV[at + 1])
      and (redis.call('HGET', gen_key, ARGV[at]) or '0') == ARGV[at + 2] then
    redis.call('SET', key, ARGV[at + 3])
    redis.call('HINCRBY', gen_key, ARGV[at], 1)
  end
end
for _, at in ipairs(buckets) do redis.call('APPEND', P .. 'b:' .. ARGV[at], ARGV[at + 2]) end
call_list('ZADD', days_key, bucket_days, 2)
add_days(seen, P .. 'seen:', seen_days_key)
for _, r in ipairs(raids) do
  if r.ev_last >= r.ev_first then chunked('ZADD', r.key, ARGV, r.ev_first, r.ev_last, 2) end
end
if new_wm ~= old_wm then redis.call('SET', wm_key, int(new_wm)) end
if n_off > 0 then
  local kv = {}
  for k = 1, n_off do
    kv[#kv + 1] = ARGV[off_first + 3 * (k - 1)]
    kv[#kv + 1] = ARGV[off_first + 3 * (k - 1) + 2]
  end
  call_list('MSET', nil, kv, 2)
end

-- 5. Judgments on the state just written (reads of keys checked above).
local function lab_name(lab_slug)
  local set = sets[P .. 'lab:' .. lab_slug]
  if set and set.name then return set.name end
  return redis.call('HGET', P .. 'lab:' .. lab_slug, 'name') or lab_slug
end

-- One alert per episode: an alert of a rule and subject (id_prefix, the
-- alert id without its day) raised for a day less than `days` from day D
-- (before, or in this step) is the same raid or drain. Returns that day,
-- or nil.
local raised_here = {}
local function raised_near(id_prefix, D, days)
  local ids, found = {}, nil
  for x = D - days + 1, D + days - 1 do
    local id = id_prefix .. ymd_of(x)
    if raised_here[id] then return x end
    ids[#ids + 1] = id
  end
  local member = call_list('SMISMEMBER', AP .. 'alert:ids', ids, 1)
  for k, v in ipairs(member) do
    if v == 1 then found = D - days + k end
  end
  return found
end

-- Raid: for each pair that got hires in this batch and has raid_count in
-- all, every day D those hires can affect (up to raid_days after them) is
-- checked: D crosses when the pair's hires over (D - raid_days, D] reach
-- raid_count and those over (D - raid_days - 1, D - 1] did not. Hires
-- more than the largest window behind the watermark are not looked at.
local oldest = d_new and d_new - max_window or 0
if raid_on then
  for _, r in ipairs(raids) do
    -- The batch's hires of the pair changed these fields: their new
    -- values were computed above.
    local all_new = new_values[P .. 'lab:' .. r.lab .. ':hires:all'] or {}
    local total = 0
    for k = 1, #r.names do total = total + (all_new[r.names[k]] or 0) end
    -- A day D that can cross has its 30 days within
    -- [lo - raid_days + 1, hi + raid_days - 1]: with fewer hires there, none
    -- does (one count, before reading any hire).
    if total >= raid_count and redis.call('ZCOUNT', r.key, int(r.lo - raid_days + 1),
        int(r.hi + raid_days - 1)) >= raid_count then
      local key = r.key
      local pair = 'raid:' .. r.org .. ':' .. r.lab .. ':'
      local function raise_raid(D, now_c, ids)
        local name = lab_name(r.lab)
        local day = ymd_of(D)
        local id = pair .. day
        raised_here[id] = D
        alerts[#alerts + 1] = {
          id, 'raid', 'WARN',
          name, string.format('%s hired %d people from %s within %d days',
            name, now_c, r.names[1], raid_days),
          int(D * DAY), json_list(ids),
          cjson.encode({lab = name, org = r.names[1], hires = tostring(now_c),
            days = tostring(raid_days), day = day})}
      end
      if r.hi - r.lo <= 7 and redis.call('ZCOUNT', key, '(' .. int(r.hi),
          int(r.hi + raid_days - 1)) == 0 then
        -- A live stream: only days in [lo, hi] can cross; count them in
        -- Redis rather than read a busy pair's hires.
        for D = r.lo, r.hi do
          if D - raid_days > oldest and redis.call('ZCOUNT', key, D, D) > 0
              and redis.call('ZCOUNT', key, D - raid_days, D - 1) < raid_count then
            local now_c = redis.call('ZCOUNT', key, D - raid_days + 1, D)
            if now_c >= raid_count and not raised_near(pair, D, raid_days) then
              raise_raid(D, now_c, redis.call('ZRANGEBYSCORE', key, D - raid_days + 1, D,
                'LIMIT', 0, 50))
            end
          end
        end
      else
        local z = redis.call('ZRANGEBYSCORE', key, int(r.lo - raid_days),
          int(r.hi + raid_days - 1), 'WITHSCORES')
        local list = {}
        for k = 1, #z, 2 do list[#list + 1] = {num(z[k + 1]), z[k]} end
        local function upto(x)
          local a, b = 0, #list
          while a < b do
            local m = math.floor((a + b + 1) / 2)
            if list[m][1] <= x then a = m else b = m - 1 end
          end
          return a
        end
        local function count(from, to) return upto(to) - upto(from) end
        local last = nil
        for _, h in ipairs(#list >= raid_count and list or {}) do
          local D = h[1]
          if D ~= last and D >= r.lo and D - raid_days > oldest then
            last = D
            local now_c = count(D - raid_days, D)
            if now_c >= raid_count and count(D - raid_days - 1, D - 1) < raid_count
                and not raised_near(pair, D, raid_days) then
              local ids = {}
              for _, e in ipairs(list) do
                if e[1] > D - raid_days and e[1] <= D and #ids < 50 then
                  ids[#ids + 1] = e[2]
                end
              end
              raise_raid(D, now_c, ids)
            end
          end
        end
      end
    end
  end
end

-- brain_drain, judged only in a step that takes the consumer to the end of
-- every partition it reads, when no member of its group is behind: each
-- country whose index over the rule's window is below the threshold,
-- unless a brain_drain of the country was raised for a day less than that
-- window from the watermark's (one drain, one alert).
if drain_on and drain_judge and d_new then
  local below = redis.call('ZRANGEBYSCORE', P .. 'flow:' .. drain_window .. ':index',
    '-inf', '(' .. string.format('%.17g', drain_index), 'WITHSCORES')
  local codes = {}
  for k = 1, #below, 2 do codes[#codes + 1] = below[k] end
  local last = call_list('HMGET', AP .. 'alert:drain', codes, 1)
  for k, code in ipairs(codes) do
    local d = num(last[k])
    if not d then
      d = raised_near('brain_drain:' .. code .. ':', d_new, drain_days)
      if d and raise then redis.call('HSET', AP .. 'alert:drain', code, int(d)) end
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

-- Alerts: each id once, ever (alert:ids), then into the stream.
local added = 0
for _, a in ipairs(raise and alerts or {}) do
  if a[2] == 'brain_drain' then redis.call('HSET', AP .. 'alert:drain', a[4], a[9]) end
  if redis.call('SADD', AP .. 'alert:ids', a[1]) == 1 then
    added = added + 1
    redis.call('XADD', AP .. 'alerts', '*',
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
  local stream = AP .. 'alerts'
  local excess = redis.call('XLEN', stream) - alerts_maxlen
  if excess > 0 then
    local upto = '+'
    for _, name in ipairs(readers) do
      local at = redis.call('GET', AP .. 'alerts:' .. name) or '0-0'
      if upto == '+' or stream_id_less(at, upto) then upto = at end
    end
    if upto ~= '0-0' then
      local cut = redis.call('XRANGE', stream, '-', upto, 'COUNT', math.min(excess, 1000))
      if #cut > 0 then
        local ms, seq = string.match(cut[#cut][1], '^(%d+)-(%d+)$')
        redis.call('XTRIM', stream, 'MINID', ms .. '-' .. string.format('%d', num(seq) + 1))
      end
    end
  end
end
return {1, int(new_wm), added}
