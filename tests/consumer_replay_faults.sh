#!/usr/bin/env bash
# A replay that cannot finish its rebuild swaps nothing and leaves the
# live keys as they were. Its staging offsets moved under it (another
# writer in the staging prefix): its next step is refused, and it stops
# with status 1, saying so, its staging keys and lock removed. Redis lost
# mid-replay: it gives up after outage.wait.ms with status 69, saying that
# its staging keys could not be removed; the next replay removes them and
# swaps in a rebuild equal to the model. A replay --from TIME over a state
# that another group wrote (no offsets of its own group there) takes every
# offset up to the end as counted: it swaps only with --yes, saying how
# many offsets the rebuild leaves out. A replay dead-letters nothing again.
# A live offset of another type: the replay swaps nothing, naming the key,
# with status 1 (not 69: Redis is there).
source "$(dirname "$0")/lib/services.sh"

hw_start_redis --appendonly yes --appendfsync always
port=$HW_REDIS_PORT
hw_start_broker --partitions 2
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 8000 --seed 71 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_TMP/gen.ndjson"
hw_consume_all
hw_model_check hw: "$HW_TMP/gen.ndjson"

staging_keys() { redis-cli -p "$port" --scan --pattern 'replay:*' | wc -l; }
# Every key under prefix $1 (default hw:) with a digest of its content
# (not of DUMP, whose bytes change with the encoding Redis picks when it
# reloads its AOF).
snapshot() {
  "$HW_PY" -c '
import hashlib, sys, redis
r = redis.Redis(port=int(sys.argv[1]))
read = {b"string": r.get, b"hash": lambda k: sorted(r.hgetall(k).items()),
        b"zset": lambda k: r.zrange(k, 0, -1, withscores=True),
        b"set": lambda k: sorted(r.smembers(k)), b"list": lambda k: r.lrange(k, 0, -1),
        b"stream": lambda k: r.xrange(k)}
for k in sorted(r.scan_iter(match=sys.argv[2] + "*", count=1000)):
    print(k.decode(), hashlib.sha1(repr(read[r.type(k)](k)).encode()).hexdigest())' "$port" "${1:-hw:}"
}
snapshot >"$HW_TMP/live"
# A replay in small steps (it runs for seconds), in the background.
replay_bg() {
  HW_CONSUMER_N=$((${HW_CONSUMER_N:-0} + 1))
  HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
  echo "fg $HW_CONSUMER_LOG" >>"$HW_TMP/consumers"
  "$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" \
    --metrics-addr off -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
    -s batch.max.events=5 -s outage.wait.ms=2000 --replay 2>>"$HW_CONSUMER_LOG" &
  replay=$!
  HW_PIDS+=("$replay")
}
staging_offsets() { redis-cli -p "$port" --scan --pattern 'replay:hw:offset:*'; }

hw_note "staging offsets moved under a replay: exit 1, nothing swapped, staging and lock removed"
replay_bg
hw_wait_for "[[ \$(staging_offsets | wc -l) -gt 0 ]]" 60 || hw_fail "the replay stored no staging offset"
# All at once, and only those that exist: keys set after the replay
# removed its staging would be left behind by the test, not by it.
redis-cli -p "$port" EVAL "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('SET', k, 1) end" \
  0 'replay:hw:offset:*' >/dev/null
rc=0
wait "$replay" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "a replay whose staging offsets moved exited $rc, want 1: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'level=error .*msg="replay: staging keys changed under it (.*); is another replay running?"' "$HW_CONSUMER_LOG" ||
  hw_fail "the moved offsets are not reported: $(grep level=error "$HW_CONSUMER_LOG" | head -3)"
grep -q 'msg="replay failed: nothing swapped"' "$HW_CONSUMER_LOG" || hw_fail "not said that nothing was swapped"
grep -q 'msg="exiting with status 1 (failed): replay failed: nothing swapped"' "$HW_CONSUMER_LOG" ||
  hw_fail "closing line: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
[[ $(staging_keys) -eq 0 ]] || hw_fail "$(staging_keys) staging keys (or the lock) left: $(redis-cli -p "$port" --scan --pattern 'replay:*' | head -3)"
snapshot | diff "$HW_TMP/live" - >&2 || hw_fail "the failed replay changed live keys"

hw_note "Redis lost mid-replay: exit 69, staging keys not removed (said); the next replay removes them"
replay_bg
hw_wait_for "[[ \$(staging_offsets | wc -l) -gt 0 ]]" 60 || hw_fail "the replay stored no staging offset"
redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
hw_wait_for "! redis-cli -p $port ping >/dev/null 2>&1" 10 || hw_fail "Redis did not stop"
rc=0
wait "$replay" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "a replay that lost Redis exited $rc, want 69: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'Redis unavailable for [0-9]* s (outage.wait.ms=2000): .*giving up' "$HW_CONSUMER_LOG" ||
  hw_fail "giving up is not said: $(grep level=error "$HW_CONSUMER_LOG" | head -3)"
grep -q 'msg="replay failed: nothing swapped"' "$HW_CONSUMER_LOG" || hw_fail "not said that nothing was swapped"
grep -q 'msg="staging keys under replay:hw: not removed: ' "$HW_CONSUMER_LOG" ||
  hw_fail "the staging keys left are not reported: $(tail -3 "$HW_CONSUMER_LOG")"
redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" --save '' \
  --appendonly yes --appendfsync always --daemonize no --loglevel warning \
  >>"$HW_TMP/redis-$port.log" 2>&1 &
HW_PIDS+=("$!")
hw_wait_for "redis-cli -p $port ping | grep -q PONG" 10 || hw_fail "Redis did not restart"
snapshot | diff "$HW_TMP/live" - >&2 || hw_fail "the replay that lost Redis changed live keys"
left=$(staging_offsets | wc -l)
[[ $left -gt 0 ]] || hw_fail "no staging key left to remove (the fault did not happen mid-replay)"
# Its lock expires in a minute; an operator who knows it is dead removes it.
redis-cli -p "$port" DEL replay:lock:hw: >/dev/null
hw_consumer --replay || hw_fail "the replay after the outage exited $?: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'msg="removed the staging keys of an interrupted replay" keys=[1-9]' "$HW_CONSUMER_LOG" ||
  hw_fail "the staging keys left were not removed: $(head -5 "$HW_CONSUMER_LOG")"
[[ $(staging_keys) -eq 0 ]] || hw_fail "staging keys left after a replay that swapped"
hw_model_check hw: "$HW_TMP/gen.ndjson"

hw_note "--from TIME over a state another group wrote: everything up to the end taken as counted"
# The replay's group (hirewire) stored no offset under o:, so the events
# published before TIME, which the rebuild leaves out, all count as read.
sleep 1.2
from=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.2
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
mkdir "$HW_TMP/poison"
printf 'not avro' >"$HW_TMP/poison/p1.bin"             # bad_framing
printf '\x00\x00\x00\x03\xe7\x02' >"$HW_TMP/poison/p2.bin" # schema id 999
"$HW_PY" "$HW_SRC_DIR/tests/lib/send_raw.py" "$HW_BOOTSTRAP" "$HW_TMP/poison" || hw_fail "cannot send the poison"
dead_letters() { hw_end_offsets talent.dlq | awk '{s += $2} END {print s + 0}'; }
hw_consume_all --prefix o: --group other
[[ $(dead_letters) -eq 2 ]] || hw_fail "the live consumer dead-lettered $(dead_letters) messages, want 2"
snapshot o: >"$HW_TMP/o.before"
rc=0
hw_consumer --replay --prefix o: --from "$from" || rc=$?
[[ $rc -eq 1 ]] || hw_fail "a replay leaving out what another group counted exited $rc, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
grep -qF "replay --from $from: the rebuild leaves out 8000 offsets on 4 partitions that the live state under o: counted" \
  "$HW_CONSUMER_LOG" || hw_fail "the events left out are not counted: $(grep level=error "$HW_CONSUMER_LOG" | head -2)"
snapshot o: | diff "$HW_TMP/o.before" - >&2 || hw_fail "a replay that swapped nothing changed keys under o:"
hw_consumer --replay --prefix o: --from "$from" --yes || hw_fail "replay --yes exited $?: $(tail -2 "$HW_CONSUMER_LOG")"
grep -qF "swapping in a rebuild that leaves out 8000 offsets on 4 partitions the live state under o: counted" "$HW_CONSUMER_LOG" ||
  hw_fail "--yes does not say what it leaves out: $(grep level=warn "$HW_CONSUMER_LOG" | head -2)"
hw_model_check o: "$HW_SRC_DIR/examples/scenario.ndjson"
# The replays read the poison too, counted it, and dead-lettered nothing
# again: the live consumer did.
grep -q 'msg="replay read to its end" applied=147 duplicates=0 rejected=2 rejected_bad_framing=1 rejected_unknown_schema=1 ' \
  "$HW_CONSUMER_LOG" || hw_fail "the replay's summary: $(grep 'read to its end' "$HW_CONSUMER_LOG")"
[[ $(dead_letters) -eq 2 ]] || hw_fail "the replays dead-lettered again: $(dead_letters) dead letters"

hw_note "a live offset of another type: the replay swaps nothing, names the key, exit 1 (Redis is there)"
bad=o:offset:hirewire:talent.hires:0
redis-cli -p "$port" DEL "$bad" >/dev/null
redis-cli -p "$port" HSET "$bad" next 5 >/dev/null
snapshot o: >"$HW_TMP/o.before"
rc=0
hw_consumer --replay --prefix o: || rc=$?
[[ $rc -eq 1 ]] || hw_fail "a replay over a live offset of another type exited $rc, want 1: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q "level=error .*msg=\"replay: cannot read $bad: Redis at 127.0.0.1:$port: GET: WRONGTYPE" "$HW_CONSUMER_LOG" ||
  hw_fail "the key is not named: $(grep level=error "$HW_CONSUMER_LOG" | head -2)"
grep -q 'msg="exiting with status 1 (failed)' "$HW_CONSUMER_LOG" ||
  hw_fail "closing line: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
snapshot o: | diff "$HW_TMP/o.before" - >&2 || hw_fail "a replay that swapped nothing changed keys under o:"
[[ $(staging_keys) -eq 0 ]] || hw_fail "staging keys left after a replay that swapped nothing"
redis-cli -p "$port" DEL "$bad" >/dev/null
[[ $(hw_crashes) -eq 0 ]] || hw_fail "a consumer crashed"
echo PASS
