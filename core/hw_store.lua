-- hirewire: apply one batch atomically (see core/hw_store.c, docs/redis-keys.md).
--
-- ARGV, in order:
--   prefix, alerts prefix (of alert:ids, alert:drain and the alerts stream)
--   epoch the batch began with ("" = none), raise alerts (1/0)
--   n_offsets, then n_offsets x (key, expected, next); expected "" = absent
--   watermark candidate (ms, or "-1")
--   n_windows, then n_windows x days
--   seen_days
--   raised_at (ms), alerts stream maxlen
--   n_readers, then n_readers x reader name (alerts:<name> holds how far it
--   delivered: entries after that are never trimmed)
--   raid on (1/0), raid count, raid days
--   brain_drain on (1/0), brain_drain index threshold, brain_drain window days
--   at end (1/0): the batch takes the consumer to the end of every
--   partition it reads; the group's ends key ('' = none), n_ends, then
--   n_ends x (field "<topic>:<partition>", 1/0): where this consumer's
--   partitions are, recorded there; brain_drain is judged at the end, and
--   with an ends key only if no partition recorded there is behind
--   n_countries, then n_countries x (code, base or "0", groups "a,b" or "")
--   sections until the end: tag, count, then count entries of the tag's arity
--     W family field yyyymmdd day delta   windowed counter
--     G key field delta                   hash gauge
--     Z key member delta                  sorted-set gauge
--     S key field value                   hash field value
--     V family field event_id day 1       an event behind a windowed count
--                                         (lab hires for raid, flow:out for
--                                         brain_drain)
--     P person_id lab origin nationality alma_mater tier at event_id
--     E yyyymmdd day event_id             applied event id
--     A alert_id rule severity subject summary event_time event_ids attributes
--                                         an alert (event_ids, attributes: JSON)
-- Returns {1, watermark} when applied, {0, key, stored} when an offset is
-- not the one the batch started from (nothing is written then).

local P, AP = ARGV[1], ARGV[2]
local pos = 5
local function arg()
  local v = ARGV[pos]
  pos = pos + 1
  return v
end
local function num(s) return tonumber(s) end
local function int(v) return string.format('%d', v) end
local DAY = 86400000
local EXACT = 9007199254740992 -- 2^53: above it, leave arithmetic to HINCRBY

-- Lua's unpack gives at most about 8,000 values (LUAI_MAXCSTACK); a call
-- past it fails in the middle of the script, after earlier writes, so
-- every long argument list goes in chunks of at most UNPACK_MAX values.
local UNPACK_MAX = 4000

-- Calls cmd with the fixed arguments and then list, in chunks of whole
-- step-sized entries that stay below Lua's unpack limit (key nil: none).
local function call_chunked(cmd, key, list, step)
  local max = UNPACK_MAX - UNPACK_MAX % step
  local i = 1
  while i <= #list do
    local args = {}
    local j = i
    while j <= #list and j < i + max do
      args[#args + 1] = list[j]
      j = j + 1
    end
    if key then
      redis.call(cmd, key, unpack(args))
    else
      redis.call(cmd, unpack(args))
    end
    i = j
  end
end

-- MGET/HMGET/ZMSCORE of many fields, chunked like call_chunked (key nil:
-- none); returns one list.
local function get_chunked(cmd, key, list)
  local out = {}
  local i = 1
  while i <= #list do
    local args = {}
    local j = i
    while j <= #list and j < i + UNPACK_MAX do
      args[#args + 1] = list[j]
      j = j + 1
    end
    local part = key and redis.call(cmd, key, unpack(args))
      or redis.call(cmd, unpack(args))
    for _, v in ipairs(part) do out[#out + 1] = v end
    i = j
  end
  return out
end

-- Whether stream id a ("ms-seq") is before b.
local function stream_id_less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  return num(as) < num(bs)
end

-- A JSON array of strings (cjson encodes an empty table as an object).
local function json_list(t)
  if #t == 0 then return '[]' end
  return cjson.encode(t)
end

-- The slug rule of docs/redis-keys.md (C locale: %w is ASCII).
local function slug(s)
  s = string.gsub(string.lower(s), '[^%w\128-\255]+', '-')
  s = string.gsub(s, '^%-+', '')
  return (string.gsub(s, '%-+$', ''))
end

-- yyyymmdd of a day number (days since 1970-01-01).
local function ymd_of(z)
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

-- 1. Fencing: no swap since the batch began (the epoch), and every offset
-- must be the one the batch started from.
local epoch = redis.call('GET', P .. 'epoch') or ''
if epoch ~= ARGV[3] then return {0, P .. 'epoch', epoch} end
local raise = ARGV[4] == '1'
local n_off = num(arg())
local off_keys, off_expected, off_next = {}, {}, {}
for k = 1, n_off do
  off_keys[k], off_expected[k], off_next[k] = arg(), arg(), arg()
end
if n_off > 0 then
  local stored = get_chunked('MGET', nil, off_keys)
  for k = 1, n_off do
    local s = stored[k] or ''
    if s == false then s = '' end
    if s ~= off_expected[k] then
      return {0, off_keys[k], s}
    end
  end
end

-- 2. Configuration of this step.
local candidate = num(arg())
local windows = {}
for k = 1, num(arg()) do windows[k] = num(arg()) end
local wnames_d = {}
for k, n in ipairs(windows) do wnames_d[k] = n .. 'd' end
local max_window = 0
for _, n in ipairs(windows) do if n > max_window then max_window = n end end
local seen_days = num(arg())
local raised_at, alerts_maxlen = arg(), num(arg())
local readers = {}
for k = 1, num(arg()) do readers[k] = arg() end
local raid_on, raid_count, raid_days = arg() == '1', num(arg()), num(arg())
local drain_on, drain_index, drain_window = arg() == '1', num(arg()), arg() .. 'd'
local drain_judge = arg() == '1'
-- The group's ends: "1" for a partition read to its end, else the time of
-- the step that left it behind; one behind holds the judgment back unless
-- that is over ENDS_STALE_MS old (its consumer is gone, and its partitions
-- are about to be someone else's).
local ENDS_STALE_MS = 60000
local ends_key, ends = arg(), {}
for k = 1, num(arg()) do
  ends[2 * k - 1] = arg()
  ends[2 * k] = arg() == '1' and '1' or raised_at
end
if ends_key ~= '' and #ends > 0 then
  call_chunked('HSET', ends_key, ends, 2)
  if drain_judge then
    for _, v in ipairs(redis.call('HVALS', ends_key)) do
      if v ~= '1' and num(raised_at) - (num(v) or 0) < ENDS_STALE_MS then
        drain_judge = false
      end
    end
  end
end
local countries = {}
for k = 1, num(arg()) do
  local code, base, groups = arg(), num(arg()), arg()
  local g = {}
  for name in string.gmatch(groups, '[^,]+') do g[#g + 1] = name end
  countries[code] = {base = base, groups = g}
end

-- 3. Watermark: the days D_old -> D_new the windows move by.
local wm_key = P .. 'watermark'
local old_wm = num(redis.call('GET', wm_key) or '-1')
local new_wm = old_wm
if candidate > new_wm then new_wm = candidate end
local d_old = old_wm >= 0 and math.floor(old_wm / DAY) or nil
local d_new = new_wm >= 0 and math.floor(new_wm / DAY) or nil

-- t[k], created empty when missing (and k then appended to order, if given).
local function sub(t, k, order)
  local v = t[k]
  if not v then
    v = {}
    t[k] = v
    if order then order[#order + 1] = k end
  end
  return v
end

-- Pending hash changes: agg[key][field] = delta (numbers).
local agg, agg_order = {}, {}
local function add(key, field, delta)
  local h = sub(agg, key, agg_order)
  h[field] = (h[field] or 0) + delta
end

-- Window keys of a family, computed once per family per step.
local wkeys = {}
local function window_key(family, w)
  local k = sub(wkeys, family)
  local key = k[w]
  if not key then
    if string.sub(family, 1, 5) == 'flow:' then
      key = P .. 'flow:' .. w .. ':' .. string.sub(family, 6)
    else
      key = P .. family .. ':' .. w
    end
    k[w] = key
  end
  return key
end

-- Countries whose in/out changed, per window name.
local flow_touched = {}
local function touch_flow(family, w, country)
  if family == 'flow:in' or family == 'flow:out' then
    sub(flow_touched, w)[country] = true
  end
end

-- The lab slug of a lab hires family ("lab:<slug>:hires"), else nil.
local function hires_lab(family)
  if string.sub(family, 1, 4) == 'lab:' and string.sub(family, -6) == ':hires' then
    return string.sub(family, 5, -7)
  end
  return nil
end

-- The raid index of the hires from one org (slug) into one lab.
local function raid_key(lab_slug, org_slug)
  return P .. 'raid:' .. lab_slug .. ':' .. org_slug
end

-- 4. Slide: subtract the buckets of the days that leave each window, and
-- delete buckets and seen sets that leave the largest window.
local days_key = P .. 'b:days'
local raid_prune = {} -- raid keys with a day leaving the largest window
if d_old and d_new > d_old then
  local leaving = redis.call('ZRANGEBYSCORE', days_key,
    '(' .. int(d_old - max_window), int(d_new - windows[1]), 'WITHSCORES')
  for k = 1, #leaving, 2 do
    local ymd, d = leaving[k], num(leaving[k + 1])
    local families = redis.call('SMEMBERS', P .. 'b:' .. ymd)
    for _, family in ipairs(families) do
      local fields = nil
      for _, n in ipairs(windows) do
        if d > d_old - n and d <= d_new - n then
          if not fields then
            fields = redis.call('HGETALL', P .. 'b:' .. ymd .. ':' .. family)
          end
          local w = n .. 'd'
          for f = 1, #fields, 2 do
            add(window_key(family, w), fields[f], -num(fields[f + 1]))
            touch_flow(family, w, fields[f])
          end
          -- Leaving the largest window: the raid index forgets the day.
          local lab_slug = n == max_window and hires_lab(family)
          if lab_slug then
            for f = 1, #fields, 2 do
              local key = raid_key(lab_slug, slug(fields[f]))
              if not raid_prune[key] then
                raid_prune[key] = true
                raid_prune[#raid_prune + 1] = key
              end
            end
          end
        end
      end
    end
  end
  for _, key in ipairs(raid_prune) do
    redis.call('ZREMRANGEBYSCORE', key, '-inf', int(d_new - max_window))
  end
  local expired = redis.call('ZRANGEBYSCORE', days_key, '-inf',
    int(d_new - max_window))
  if #expired > 0 then
    local dels = {}
    for _, ymd in ipairs(expired) do
      dels[#dels + 1] = P .. 'b:' .. ymd
      for _, family in ipairs(redis.call('SMEMBERS', P .. 'b:' .. ymd)) do
        dels[#dels + 1] = P .. 'b:' .. ymd .. ':' .. family
      end
    end
    call_chunked('DEL', nil, dels, 1)
    redis.call('ZREMRANGEBYSCORE', days_key, '-inf', int(d_new - max_window))
  end
  local seen_days_key = P .. 'seen:days'
  local old_seen = redis.call('ZRANGEBYSCORE', seen_days_key, '-inf',
    int(d_new - seen_days))
  if #old_seen > 0 then
    local dels = {}
    for _, ymd in ipairs(old_seen) do dels[#dels + 1] = P .. 'seen:' .. ymd end
    call_chunked('DEL', nil, dels, 1)
    redis.call('ZREMRANGEBYSCORE', seen_days_key, '-inf', int(d_new - seen_days))
  end
end

-- 5. The batch's own changes.
local bucket_days, bucket_families = {}, {}
local zadd, sets, persons = {}, {}, {}
local zorder, sorder = {}, {}
local seen = {}
local seen_order = {}
local alerts = {}
local raid_c = {} -- lab hires family -> org -> day -> hires in this batch
local raid_ev = {} -- raid key -> {score, event_id, ...} for the raid index
local raid_keys = {}
local drain_ev = {} -- country -> {{day, event_id}, ...} of hires out of it
while pos <= #ARGV do
  local tag, count = arg(), num(arg())
  for _ = 1, count do
    if tag == 'W' then
      local family, field, ymd = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2]
      local d, delta = tonumber(ARGV[pos + 3]), tonumber(ARGV[pos + 4])
      pos = pos + 5
      local is_flow = family == 'flow:in' or family == 'flow:out'
      if raid_on and delta > 0 and hires_lab(family) then
        local days = sub(sub(raid_c, family), field)
        days[d] = (days[d] or 0) + delta
      end
      if d > d_new - max_window then
        local fams = bucket_families[ymd]
        if not fams then
          fams = {}
          bucket_families[ymd] = fams
          bucket_days[#bucket_days + 1] = {ymd, d}
        end
        local bkey = fams[family]
        if not bkey then
          bkey = P .. 'b:' .. ymd .. ':' .. family
          fams[family] = bkey
        end
        add(bkey, field, delta)
      end
      add(window_key(family, 'all'), field, delta)
      if is_flow then touch_flow(family, 'all', field) end
      for k = 1, #windows do
        if d > d_new - windows[k] then
          local w = wnames_d[k]
          add(window_key(family, w), field, delta)
          if is_flow then touch_flow(family, w, field) end
        end
      end
    elseif tag == 'G' then
      local key, field, delta = arg(), arg(), num(arg())
      add(P .. key, field, delta)
    elseif tag == 'Z' then
      local key, member, delta = P .. arg(), arg(), num(arg())
      local z = zadd[key]
      if not z then
        z = {order = {}, delta = {}}
        zadd[key] = z
        zorder[#zorder + 1] = key
      end
      if not z.delta[member] then z.order[#z.order + 1] = member end
      z.delta[member] = (z.delta[member] or 0) + delta
    elseif tag == 'S' then
      local key, field, value = P .. arg(), arg(), arg()
      local s = sub(sets, key, sorder)
      s[#s + 1] = field
      s[#s + 1] = value
    elseif tag == 'P' then
      local id = arg()
      persons[#persons + 1] = {P .. 'person:' .. id, 'lab', arg(), 'origin', arg(),
        'nationality', arg(), 'alma_mater', arg(), 'tier', arg(), 'at', arg(),
        'event_id', arg()}
    elseif tag == 'E' then
      local ymd, d, id = arg(), num(arg()), arg()
      if d > d_new - seen_days then
        if not seen[ymd] then
          seen[ymd] = {d = d, ids = {}}
          seen_order[#seen_order + 1] = ymd
        end
        local ids = seen[ymd].ids
        ids[#ids + 1] = id
      end
    elseif tag == 'V' then
      local family, field, id, d = arg(), arg(), arg(), num(arg())
      pos = pos + 1
      if family == 'flow:out' then
        local l = sub(drain_ev, field)
        l[#l + 1] = {d, id}
      elseif hires_lab(family) and d > d_new - max_window then
        local key = raid_key(hires_lab(family), slug(field))
        local l = sub(raid_ev, key, raid_keys)
        l[#l + 1] = int(d)
        l[#l + 1] = id
      end
    elseif tag == 'A' then
      alerts[#alerts + 1] = {ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], ARGV[pos + 3],
        ARGV[pos + 4], ARGV[pos + 5], ARGV[pos + 6], ARGV[pos + 7]}
      pos = pos + 8
    else
      return redis.error_reply('hirewire store: unknown section ' .. tostring(tag))
    end
  end
end

-- 6. Write the hashes: one HMGET and one HSET per key, whatever the number
-- of fields (HINCRBY for one); fields that reach 0 are deleted.
for _, key in ipairs(agg_order) do
  local h = agg[key]
  local fields, n = {}, 0
  for f, delta in pairs(h) do
    if delta ~= 0 then
      n = n + 1
      fields[n] = f
    end
  end
  if n == 1 then
    local f = fields[1]
    local v = redis.call('HINCRBY', key, f, int(h[f]))
    if v == 0 then redis.call('HDEL', key, f) end
  elseif n > 1 then
    local cur = n <= UNPACK_MAX and redis.call('HMGET', key, unpack(fields))
      or get_chunked('HMGET', key, fields)
    local set, del = {}, {}
    local ns, nd = 0, 0
    local exact = true
    for k = 1, n do
      local f = fields[k]
      local v = (tonumber(cur[k]) or 0) + h[f]
      if v >= EXACT or v <= -EXACT then exact = false end
      if v == 0 then
        nd = nd + 1
        del[nd] = f
      else
        set[ns + 1] = f
        set[ns + 2] = int(v)
        ns = ns + 2
      end
    end
    if exact then
      if ns > 0 then
        if ns <= UNPACK_MAX then redis.call('HSET', key, unpack(set))
        else call_chunked('HSET', key, set, 2) end
      end
      if nd > 0 then call_chunked('HDEL', key, del, 1) end
    else
      for k = 1, n do
        local f = fields[k]
        local v = redis.call('HINCRBY', key, f, int(h[f]))
        if v == 0 then redis.call('HDEL', key, f) end
      end
    end
  end
end

-- Raid: hw:raid:<lab-slug>:<org-slug> (ZSET, event_id -> day) indexes the
-- hires from one org into one lab over the largest window. For each pair
-- that got hires in this batch and has raid_count in all, every day D that
-- those hires can affect (up to raid_days after them) is checked: D crosses
-- when the pair's hires over (D - raid_days, D] reach raid_count and those
-- over (D - raid_days - 1, D - 1] did not. Hires more than the largest
-- window behind the watermark are not looked at.
local function lab_name(lab_slug)
  local set = sets[P .. 'lab:' .. lab_slug]
  if set then
    for k = 1, #set, 2 do
      if set[k] == 'name' then return set[k + 1] end
    end
  end
  return redis.call('HGET', P .. 'lab:' .. lab_slug, 'name') or lab_slug
end

-- One alert per episode: an alert of a rule and subject (id_prefix, the
-- alert id without its day) raised for a day less than `days` from day D
-- (before, or in this step) is the same raid or drain. Returns that day, or
-- nil. Arriving out of event-time order, a pair's hires can show a raid
-- crossing that later hires move earlier; this keeps it to one alert.
local raised_here = {} -- alert id -> day, raised in this step
local function raised_near(id_prefix, D, days)
  local ids, found = {}, nil
  for x = D - days + 1, D + days - 1 do
    local id = id_prefix .. ymd_of(x)
    if raised_here[id] then return x end
    ids[#ids + 1] = id
  end
  local member = get_chunked('SMISMEMBER', AP .. 'alert:ids', ids)
  for k, v in ipairs(member) do
    if v == 1 then found = D - days + k end
  end
  return found
end

local oldest = d_new and d_new - max_window or 0
for _, key in ipairs(raid_keys) do call_chunked('ZADD', key, raid_ev[key], 2) end
if raid_on then
  for family, orgs in pairs(raid_c) do
    local lab_slug = hires_lab(family)
    local names = {}
    for org in pairs(orgs) do names[#names + 1] = org end
    table.sort(names)
    -- Orgs are one by slug (as in the alert id); only those with raid_count
    -- hires in all could reach it anywhere.
    local totals = get_chunked('HMGET', window_key(family, 'all'), names)
    local by_slug, slugs = {}, {}
    for k, org in ipairs(names) do
      local os = slug(org)
      local p = by_slug[os]
      if not p then
        p = {name = org, total = 0}
        by_slug[os] = p
        slugs[#slugs + 1] = os
      end
      p.total = p.total + (num(totals[k]) or 0)
      for d in pairs(orgs[org]) do
        if not p.lo or d < p.lo then p.lo = d end
        if not p.hi or d > p.hi then p.hi = d end
      end
    end
    for _, os in ipairs(slugs) do
      local p = by_slug[os]
      if p.total >= raid_count then
        local key = raid_key(lab_slug, os)
        local pair = 'raid:' .. os .. ':' .. lab_slug .. ':' -- the id, less its day
        local function raise(D, now_c, ids)
          local name = lab_name(lab_slug)
          local day = ymd_of(D)
          local id = pair .. day
          raised_here[id] = D
          alerts[#alerts + 1] = {
            id, 'raid', 'WARN',
            name, string.format('%s hired %d people from %s within %d days',
              name, now_c, p.name, raid_days),
            int(D * DAY), json_list(ids),
            cjson.encode({lab = name, org = p.name, hires = tostring(now_c),
              days = tostring(raid_days), day = day})}
        end
        if p.hi - p.lo <= 7 and redis.call('ZCOUNT', key, '(' .. int(p.hi),
            int(p.hi + raid_days - 1)) == 0 then
          -- A live stream: the batch's days are few and no hire lies
          -- after them within reach, so only days in [lo, hi] can cross;
          -- count them in Redis rather than read a busy pair's hires.
          for D = p.lo, p.hi do
            if D - raid_days > oldest and redis.call('ZCOUNT', key, D, D) > 0
                and redis.call('ZCOUNT', key, D - raid_days, D - 1) < raid_count then
              local now_c = redis.call('ZCOUNT', key, D - raid_days + 1, D)
              if now_c >= raid_count and not raised_near(pair, D, raid_days) then
                raise(D, now_c, redis.call('ZRANGEBYSCORE', key, D - raid_days + 1, D,
                  'LIMIT', 0, 50))
              end
            end
          end
        else
          local z = redis.call('ZRANGEBYSCORE', key, int(p.lo - raid_days),
            int(p.hi + raid_days - 1), 'WITHSCORES')
          local list = {} -- {day, event_id}, by day then id
          for k = 1, #z, 2 do list[#list + 1] = {num(z[k + 1]), z[k]} end
          local function upto(x) -- how many hires have day <= x
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
            if D ~= last and D >= p.lo and D - raid_days > oldest then
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
                raise(D, now_c, ids)
              end
            end
          end
        end
      end
    end
  end
end

-- The batch's hires out of a country within the brain_drain window, the
-- latest first (at most 50).
local drain_days = num(string.sub(drain_window, 1, -2))
local function drain_ids(code)
  local l, ids = drain_ev[code] or {}, {}
  table.sort(l, function(a, b)
    if a[1] ~= b[1] then return a[1] > b[1] end
    return a[2] < b[2]
  end)
  for _, e in ipairs(l) do
    if e[1] > d_new - drain_days and #ids < 50 then ids[#ids + 1] = e[2] end
  end
  return ids
end

-- 7. Net flow and index per window, for the countries whose in/out changed.
-- Every country with a base is in the index sets (0 without flows), so a
-- rank is among all members of a group.
local wnames = {'all'}
for _, n in ipairs(windows) do wnames[#wnames + 1] = n .. 'd' end
if new_wm >= 0 then
  local codes = {}
  for code, c in pairs(countries) do
    if c.base > 0 then codes[#codes + 1] = code end
  end
  table.sort(codes)
  local all, by_group = {}, {}
  for _, code in ipairs(codes) do
    all[#all + 1] = '0'
    all[#all + 1] = code
    for _, g in ipairs(countries[code].groups) do
      by_group[g] = by_group[g] or {}
      table.insert(by_group[g], '0')
      table.insert(by_group[g], code)
    end
  end
  for _, w in ipairs(wnames) do
    local base = P .. 'flow:' .. w .. ':index'
    if #all > 0 then redis.call('ZADD', base, 'NX', unpack(all)) end
    for g, list in pairs(by_group) do redis.call('ZADD', base .. ':' .. g, 'NX', unpack(list)) end
  end
end
for _, w in ipairs(wnames) do
  local t = flow_touched[w]
  if t then
    local codes = {}
    for code in pairs(t) do codes[#codes + 1] = code end
    table.sort(codes)
    local in_key, out_key = P .. 'flow:' .. w .. ':in', P .. 'flow:' .. w .. ':out'
    local ins = get_chunked('HMGET', in_key, codes)
    local outs = get_chunked('HMGET', out_key, codes)
    local net_add, net_rem = {}, {}
    local idx_add = {}
    local grp_add = {}
    for k, code in ipairs(codes) do
      local i, o = num(ins[k]) or 0, num(outs[k]) or 0
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
          grp_add[g] = grp_add[g] or {}
          table.insert(grp_add[g], score)
          table.insert(grp_add[g], code)
        end
      end
    end
    local base = P .. 'flow:' .. w
    if #net_add > 0 then call_chunked('ZADD', base .. ':net', net_add, 2) end
    if #net_rem > 0 then call_chunked('ZREM', base .. ':net', net_rem, 1) end
    if #idx_add > 0 then call_chunked('ZADD', base .. ':index', idx_add, 2) end
    for g, list in pairs(grp_add) do call_chunked('ZADD', base .. ':index:' .. g, list, 2) end
  end
end

-- brain_drain, judged only in a step that takes the consumer to the end of
-- every partition it reads, when no member of its group is behind on
-- another (so a backlog is judged once, at its end, never on the part of it
-- read so far): each country whose index over the rule's window is below
-- the threshold, unless a brain_drain of the country was raised for a day
-- less than that window from the watermark's (one drain, one alert).
-- alert:drain keeps each country's latest such day; a country without one
-- there is looked up in alert:ids once, and what is found is kept there.
if drain_on and drain_judge and d_new then
  local below = redis.call('ZRANGEBYSCORE', P .. 'flow:' .. drain_window .. ':index',
    '-inf', '(' .. string.format('%.17g', drain_index), 'WITHSCORES')
  local codes = {}
  for k = 1, #below, 2 do codes[#codes + 1] = below[k] end
  local last = #codes > 0 and redis.call('HMGET', AP .. 'alert:drain', unpack(codes)) or {}
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
        int(new_wm), json_list(drain_ids(code)),
        cjson.encode({country = code, index = string.format('%.4f', index),
          window = drain_window, day = day}),
        int(d_new)}
    end
  end
end

-- 8. Sorted-set gauges (the labs ranking).
for _, key in ipairs(zorder) do
  local z = zadd[key]
  local members = {}
  for _, m in ipairs(z.order) do
    if z.delta[m] ~= 0 then members[#members + 1] = m end
  end
  if #members > 0 then
    local cur = get_chunked('ZMSCORE', key, members)
    local add_list, rem = {}, {}
    for k, m in ipairs(members) do
      local v = (num(cur[k]) or 0) + z.delta[m]
      if v == 0 then
        rem[#rem + 1] = m
      else
        add_list[#add_list + 1] = int(v)
        add_list[#add_list + 1] = m
      end
    end
    if #add_list > 0 then call_chunked('ZADD', key, add_list, 2) end
    if #rem > 0 then call_chunked('ZREM', key, rem, 1) end
  end
end

-- 9. Values, persons, bucket bookkeeping, seen ids, watermark, offsets.
for _, key in ipairs(sorder) do call_chunked('HSET', key, sets[key], 2) end
for _, p in ipairs(persons) do redis.call('HSET', unpack(p)) end
if #bucket_days > 0 then
  local zl = {}
  for _, bd in ipairs(bucket_days) do
    local ymd = bd[1]
    local fams = {}
    for family in pairs(bucket_families[ymd]) do fams[#fams + 1] = family end
    table.sort(fams)
    call_chunked('SADD', P .. 'b:' .. ymd, fams, 1)
    zl[#zl + 1] = int(bd[2])
    zl[#zl + 1] = ymd
  end
  call_chunked('ZADD', days_key, zl, 2)
end
if #seen_order > 0 then
  local zl = {}
  for _, ymd in ipairs(seen_order) do
    call_chunked('SADD', P .. 'seen:' .. ymd, seen[ymd].ids, 1)
    zl[#zl + 1] = int(seen[ymd].d)
    zl[#zl + 1] = ymd
  end
  call_chunked('ZADD', P .. 'seen:days', zl, 2)
end
-- Alerts: each id once, ever (hw:alert:ids), then into the stream.
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
-- reader has not delivered yet (a relay behind a Kafka outage keeps its
-- backlog): at most the oldest entries that are both beyond the newest
-- alerts_maxlen and delivered by every reader, 1000 per step.
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
if new_wm ~= old_wm then redis.call('SET', wm_key, int(new_wm)) end
if n_off > 0 then
  local kv = {}
  for k = 1, n_off do
    kv[#kv + 1] = off_keys[k]
    kv[#kv + 1] = off_next[k]
  end
  call_chunked('MSET', nil, kv, 2)
end
return {1, int(new_wm)}
