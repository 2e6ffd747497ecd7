-- hirewire: compare live keys with their rebuilt copies (hirewire-consumer
-- --replay --diff; see core/hw_rebuild.c). Read-only.
--
-- ARGV: live prefix, staging prefix, then key names without a prefix.
-- Returns a flat list of rows (key, field, live value, rebuilt value), one
-- per difference; a missing value is "". Fields: a hash's fields, a sorted
-- set's members (values are scores), a set's members (value "1"), "" for a
-- string; a key whose type differs gives one row with field "(type)".

local live, staging = ARGV[1], ARGV[2]
local out = {}
local function row(key, field, a, b)
  out[#out + 1] = key
  out[#out + 1] = field
  out[#out + 1] = a or ''
  out[#out + 1] = b or ''
end

local function read(key, t)
  local m = {}
  if t == 'hash' then
    local r = redis.call('HGETALL', key)
    for i = 1, #r, 2 do m[r[i]] = r[i + 1] end
  elseif t == 'zset' then
    local r = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    for i = 1, #r, 2 do m[r[i]] = r[i + 1] end
  elseif t == 'set' then
    for _, v in ipairs(redis.call('SMEMBERS', key)) do m[v] = '1' end
  elseif t == 'string' then
    m[''] = redis.call('GET', key)
  end
  return m
end

for k = 3, #ARGV do
  local name = ARGV[k]
  local ta = redis.call('TYPE', live .. name)['ok']
  local tb = redis.call('TYPE', staging .. name)['ok']
  if ta ~= tb and ta ~= 'none' and tb ~= 'none' then
    row(name, '(type)', ta, tb)
  else
    local a, b = read(live .. name, ta), read(staging .. name, tb)
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
