#!/usr/bin/env bash
# SIGTERM while Redis is down: the consumer (archiving) waits for Redis
# (STOP_GRACE_MS, 10 s from the SIGTERM), then gives up the batch it
# could not apply, says that it will be read again, and exits 0 with its
# offsets unmoved. Its events were archived before the step; the next
# run, once Redis is back, applies them without archiving them a second
# time: Redis equals the model, and the archive holds every event once.
source "$(dirname "$0")/lib/services.sh"

fast_group=(-X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
hw_start_redis --appendonly yes --appendfsync always
port=$HW_REDIS_PORT
hw_start_broker --partitions 2
archive=$HW_TMP/archive
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 2000 --seed 97 >"$HW_TMP/gen.ndjson" 2>/dev/null
events=("$HW_TMP/gen.ndjson" "$HW_SRC_DIR/examples/scenario.ndjson")

hw_consumer_bg "${fast_group[@]}" --archive-dir "$archive"
pid=$HW_CONSUMER_PID
log=$HW_CONSUMER_LOG
hw_produce "$HW_TMP/gen.ndjson"
hw_wait_for "[[ \$(progress) -ge 2000 ]]" 60 || hw_fail "the consumer did not apply the first events: $(progress)"
sleep 3 # and the step that judges brain_drain at the end

hw_note "new events waiting, Redis down, the events taken and archived; SIGTERM"
kill -STOP "$pid"
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
hw_wait_for "! redis-cli -p $port ping >/dev/null 2>&1" 10 || hw_fail "Redis did not stop"
kill -CONT "$pid"
hw_wait_for "grep -q 'Redis unavailable' '$log'" 60 || hw_fail "no Redis outage reported: $(tail -3 "$log")"
sleep 2
t0=$(date +%s)
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
took=$(($(date +%s) - t0))
[[ $rc -eq 0 ]] || hw_fail "SIGTERM during the outage: exit $rc, want 0: $(tail -2 "$log")"
# STOP_GRACE_MS (10 s) from the SIGTERM for all that is left to apply
# (the batch, the final flush, the revoke's flush), and at most one
# backoff (5 s) past it.
(( took >= 9 && took <= 20 )) || hw_fail "gave up after $took s, want 10 to 16 (STOP_GRACE_MS from the SIGTERM)"
grep -q 'giving up the last batch (.*); it will be read again' "$log" ||
  hw_fail "the batch given up is not reported: $(tail -3 "$log")"

hw_note "Redis back: the next run applies the batch, archives nothing twice"
redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" --save '' \
  --appendonly yes --appendfsync always --daemonize no --loglevel warning \
  >>"$HW_TMP/redis-$port.log" 2>&1 &
HW_PIDS+=("$!")
hw_wait_for "redis-cli -p $port ping | grep -q PONG" 10 || hw_fail "Redis did not restart"
[[ $(progress) -eq 2000 ]] || hw_fail "offsets moved during the outage: $(progress)"
hw_consume_all "${fast_group[@]}" --archive-dir "$archive"
[[ $(progress) -eq 2147 ]] || hw_fail "stored offsets sum to $(progress), want 2147"
hw_model_check hw: "${events[@]}"
"$HW_PY" "$HW_SRC_DIR/tests/lib/check_archive.py" "$archive" "${events[@]}" ||
  hw_fail "the archive does not hold each event once"
[[ $(hw_crashes) -eq 0 ]] || hw_fail "a consumer crashed"
echo PASS
