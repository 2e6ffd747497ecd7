-- hirewire: swap a rebuilt state in (hirewire-consumer --replay; see
-- store/hw_rebuild.c and docs/operations.md). Atomic: readers see the old
-- state or the new one, never a mix.
--
-- KEYS: the live epoch. ARGV: live prefix, staging prefix, alerts prefix,
-- then pairs of (offset key suffix, next offset) for every partition the
-- rebuild covered. The consumer names the keys (processors/hw_keys.h); the
-- others are found by SCAN, so the alert keys are told apart here.
-- 1. Deletes every live key except the alert keys (when they live under the
--    live prefix) and the epoch.
-- 2. Renames every staging key to its live name.
-- 3. Sets the offsets, then increments <live>epoch: a live consumer's batch
--    that began before the swap is refused and re-read from these offsets.
-- Returns {keys deleted, keys renamed, new epoch}.

local epoch_key, live, staging, ap = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local function glob(p) return (string.gsub(p, '[%*%?%[%]\\]', '\\%0')) end

local function kept(key)
  if key == epoch_key then return true end
  if ap ~= live then return false end
  local rest = string.sub(key, #live + 1)
  -- The alert keys, as hw_keys_is_alert tells them (processors/hw_keys.h):
  -- alerts, alerts:<reader>, alert:ids, alert:drain, alert:raid
  return rest == 'alerts' or string.sub(rest, 1, 7) == 'alerts:'
    or string.sub(rest, 1, 6) == 'alert:'
end

local function each_key(prefix, fn)
  local cursor = '0'
  repeat
    local r = redis.call('SCAN', cursor, 'MATCH', glob(prefix) .. '*', 'COUNT', 1000)
    cursor = r[1]
    for _, key in ipairs(r[2]) do fn(key) end
  until cursor == '0'
end

local deleted, renamed = 0, 0
each_key(live, function(key)
  if not kept(key) then
    redis.call('UNLINK', key)
    deleted = deleted + 1
  end
end)
each_key(staging, function(key)
  redis.call('RENAME', key, live .. string.sub(key, #staging + 1))
  renamed = renamed + 1
end)
for k = 4, #ARGV, 2 do
  redis.call('SET', live .. ARGV[k], ARGV[k + 1])
end
local epoch = redis.call('INCR', epoch_key)
return {deleted, renamed, epoch}
