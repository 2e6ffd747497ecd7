-- hirewire: compare live keys with their rebuilt copies (hirewire-consumer
-- --replay --diff; see store/hw_rebuild.c). Read-only.
--
-- The consumer names every key (processors/hw_keys.h). For each key
-- compared, KEYS holds its live and its rebuilt name (KEYS[2k - 1],
-- KEYS[2k]) and ARGV its name without a prefix and '1' when it is a day's
-- bucket log, else '0' (ARGV[2k - 1], ARGV[2k]).
-- Returns a flat list of rows (key, field, live value, rebuilt value), one
-- per difference; a missing value is "". Fields: a hash's fields, a sorted
-- set's members (values are scores), a set's members (value "1"), "" for a
-- string, and for a day's bucket log the sums of its records by name, as
-- the hash it stands for (two logs that count the same are the same,
-- however the steps cut them); a key whose type differs gives one row
-- with field "(type)".

local out = {}
local function row(key, field, a, b)
  out[#out + 1] = key
  out[#out + 1] = field
  out[#out + 1] = a or ''
  out[#out + 1] = b or ''
end

-- The sums of a bucket log's records "<n>:<family> <field>=<delta>\n";
-- a log not in that format is compared as it is.
local function log_sums(text)
  local m, at = {}, 1
  while at <= #text do
    local colon = string.find(text, ':', at, true)
    local n = colon and tonumber(string.sub(text, at, colon - 1))
    if not n then return {[''] = text} end
    local name = string.sub(text, colon + 1, colon + n)
    local nl = string.find(text, '\n', colon + n + 1, true)
    local delta = nl and string.sub(text, colon + n + 1, colon + n + 1) == '='
      and tonumber(string.sub(text, colon + n + 2, nl - 1))
    if not delta then return {[''] = text} end
    m[name] = (m[name] or 0) + delta
    at = nl + 1
  end
  for f, v in pairs(m) do
    if v == 0 then m[f] = nil else m[f] = string.format('%d', v) end
  end
  return m
end

local function read(key, t, is_log)
  local m = {}
  if t == 'hash' then
    local r = redis.call('HGETALL', key)
    for i = 1, #r, 2 do m[r[i]] = r[i + 1] end
  elseif t == 'zset' then
    local r = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    for i = 1, #r, 2 do m[r[i]] = r[i + 1] end
  elseif t == 'set' then
    for _, v in ipairs(redis.call('SMEMBERS', key)) do m[v] = '1' end
  elseif t == 'string' and is_log then
    m = log_sums(redis.call('GET', key))
  elseif t == 'string' then
    m[''] = redis.call('GET', key)
  end
  return m
end

for k = 1, #KEYS, 2 do
  local name, is_log = ARGV[k], ARGV[k + 1] == '1'
  local ta = redis.call('TYPE', KEYS[k])['ok']
  local tb = redis.call('TYPE', KEYS[k + 1])['ok']
  if ta ~= tb and ta ~= 'none' and tb ~= 'none' then
    row(name, '(type)', ta, tb)
  else
    local a, b = read(KEYS[k], ta, is_log), read(KEYS[k + 1], tb, is_log)
    local fields = {}
    for f in pairs(a) do fields[#fields + 1] = f end
    for f in pairs(b) do if a[f] == nil then fields[#fields + 1] = f end end
    table.sort(fields)
    for _, f in ipairs(fields) do
      if a[f] ~= b[f] then row(name, f, a[f], b[f]) end
    end
  end
end
return out
