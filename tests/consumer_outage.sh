#!/usr/bin/env bash
# Outages and the runs that end by themselves (--until-caught-up,
# --replay): with Redis unreachable they exit 69 once outage.wait.ms has
# passed, naming Redis; Redis lost mid-run, the same, and a later run ends
# exactly where a clean run does (nothing lost, nothing twice). The
# service instead waits: credentials Redis refuses (a secret rotated on the
# consumer's side first) give one warning, and once Redis takes them it
# counts every event. A consumer kept waiting for partitions by a member
# that died without leaving says so, with the cause, and when they come.
# Redis lost between the subscription and the first assignment: no
# partition is taken without its offsets, and the batch run exits 69.
source "$(dirname "$0")/lib/services.sh"

hw_start_broker --partitions 4
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"

hw_note "Redis unreachable: --until-caught-up and --replay exit 69 after outage.wait.ms"
dead=$(hw_free_port)
for mode in --until-caught-up --replay; do
  rc=0
  t0=$(date +%s)
  HW_REDIS_URL="redis://127.0.0.1:$dead" hw_consumer "$mode" -s outage.wait.ms=3000 || rc=$?
  took=$(( $(date +%s) - t0 ))
  [[ $rc -eq 69 ]] || hw_fail "$mode with Redis unreachable exited $rc, want 69: $(tail -2 "$HW_CONSUMER_LOG")"
  grep -q 'Redis unavailable for [0-9]* s (outage.wait.ms=3000): .*giving up' "$HW_CONSUMER_LOG" ||
    hw_fail "$mode: no clear reason: $(tail -2 "$HW_CONSUMER_LOG")"
  [[ $(grep -c 'Redis unavailable: .*retrying for up to outage.wait.ms' "$HW_CONSUMER_LOG") -eq 1 ]] ||
    hw_fail "$mode: not one warning before giving up"
  # Bounded: the wait, then at most one capped backoff (5 s) and start-up.
  (( took < 3 + 5 + 20 )) || hw_fail "$mode gave up after $took s"
done

hw_note "Redis lost mid-run: --until-caught-up exits 69; the next run ends exact"
hw_start_redis --appendonly yes --appendfsync always
port=$HW_REDIS_PORT
"$HW_BIN_DIR/hirewire-produce" --dry-run --generate 40000 --seed 93 >"$HW_TMP/gen.ndjson" 2>/dev/null
hw_produce "$HW_TMP/gen.ndjson"
HW_CONSUMER_N=$(( ${HW_CONSUMER_N:-0} + 1 ))
HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
"$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "$HW_REDIS_URL" \
  --metrics-addr off -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
  -s batch.max.events=200 -s outage.wait.ms=3000 --until-caught-up 2>>"$HW_CONSUMER_LOG" &
batch=$!
HW_PIDS+=("$batch")
hw_wait_for "[[ \$(progress) -gt 0 ]]" 60 || hw_fail "no step applied: $(tail -3 "$HW_CONSUMER_LOG")"
redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
hw_wait_for "! redis-cli -p $port ping >/dev/null 2>&1" 10 || hw_fail "Redis did not stop"
rc=0
wait "$batch" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "--until-caught-up exited $rc when Redis went away mid-run, want 69"
grep -q 'Redis unavailable for [0-9]* s (outage.wait.ms=3000)' "$HW_CONSUMER_LOG" ||
  hw_fail "no clear reason: $(tail -3 "$HW_CONSUMER_LOG")"
redis-server --port "$port" --bind 127.0.0.1 --dir "$HW_TMP/redis-$port" --save '' \
  --appendonly yes --appendfsync always --daemonize no --loglevel warning \
  >>"$HW_TMP/redis-$port.log" 2>&1 &
HW_PIDS+=("$!")
hw_wait_for "redis-cli -p $port ping | grep -q PONG" 10 || hw_fail "Redis did not restart"
[[ $(progress) -gt 0 ]] || hw_fail "the steps applied before the outage were not kept (AOF)"
hw_consume_all
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson"
hw_count_check hw: "--until-caught-up: Redis shut down mid-run (exit 69 after outage.wait.ms), run again" \
  "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson"

hw_note "the service with credentials Redis refuses: one warning, then it counts once they are valid"
redis-cli -p "$port" ACL SETUSER rot on '>old-Pw-1' '~*' '&*' '+@all' >/dev/null || hw_fail "cannot create the ACL user"
HW_REDIS_URL="redis://rot:new-Pw-2@127.0.0.1:$port" hw_consumer_bg --group rot --prefix rot:
consumer=$HW_CONSUMER_PID
hw_wait_for "grep -q 'WRONGPASS' '$HW_CONSUMER_LOG'" 20 || hw_fail "no warning for refused credentials"
sleep 3
kill -0 "$consumer" 2>/dev/null || hw_fail "the service stopped on refused credentials: $(tail -2 "$HW_CONSUMER_LOG")"
[[ $(grep -c 'Redis unavailable: .*WRONGPASS.*retrying until it answers, with a warning a minute' "$HW_CONSUMER_LOG") -eq 1 ]] ||
  hw_fail "not one warning for refused credentials: $(grep -c WRONGPASS "$HW_CONSUMER_LOG")"
grep -q 'new-Pw-2' "$HW_CONSUMER_LOG" && hw_fail "the secret is in the log"
redis-cli -p "$port" ACL SETUSER rot resetpass '>new-Pw-2' >/dev/null
hw_wait_for "[[ \$(progress rot:) -eq \$(progress hw:) ]]" 90 ||
  hw_fail "the service did not count once the credentials were valid: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'msg="Redis answers again" after_ms=[0-9]* failures=[0-9]*$' "$HW_CONSUMER_LOG" || hw_fail "the end of the refusal was not logged"
kill -TERM "$consumer"
wait "$consumer" || hw_fail "the service exited $? after SIGTERM"
hw_model_check rot: "$HW_SRC_DIR/examples/scenario.ndjson" "$HW_TMP/gen.ndjson"

hw_note "waiting for partitions held by a member killed with kill -9: said, with the cause"
slow_group=(--group held --prefix held: -X session.timeout.ms=15000 -X heartbeat.interval.ms=1000)
hw_consumer_bg "${slow_group[@]}"
first=$HW_CONSUMER_PID
hw_wait_for "grep -q 'partitions assigned\" partitions=[1-9]' '$HW_CONSUMER_LOG'" 30 || hw_fail "the first member got no partitions"
hw_kill9 "$first"
wait "$first" 2>/dev/null || true
hw_consumer_bg "${slow_group[@]}"
second=$HW_CONSUMER_PID
hw_wait_for "grep -q 'no partitions assigned yet: .*session.timeout.ms.*group.instance.id.* waited_s=[5-9] group=.held.\$' '$HW_CONSUMER_LOG'" 30 ||
  hw_fail "no word on the wait: $(tail -3 "$HW_CONSUMER_LOG")"
hw_wait_for "grep -q 'partitions assigned after a wait. waited_s=[0-9]' '$HW_CONSUMER_LOG'" 90 ||
  hw_fail "the end of the wait was not logged: $(tail -3 "$HW_CONSUMER_LOG")"
[[ $(grep -c 'no partitions assigned yet' "$HW_CONSUMER_LOG") -eq 1 ]] || hw_fail "more than one word on a wait under a minute"
kill -TERM "$second"
wait "$second" || hw_fail "the second member exited $? after SIGTERM"

hw_note "Redis lost before the first assignment: no partition taken, exit 69"
# A group's first assignment comes seconds after the consumer subscribes;
# Redis, which holds the offsets to start from, goes away in between.
hw_start_redis
early=$HW_REDIS_PORT
HW_CONSUMER_N=$(( ${HW_CONSUMER_N:-0} + 1 ))
HW_CONSUMER_LOG=$HW_TMP/consumer-$HW_CONSUMER_N.log
"$HW_BIN_DIR/hirewire-consumer" --bootstrap-file "$HW_BOOTSTRAP_FILE" --redis "redis://127.0.0.1:$early" \
  --metrics-addr off -s "country.bases.file=$HW_BASES" -s "country.groups.file=$HW_GROUPS" \
  --group early --until-caught-up -s outage.wait.ms=15000 2>>"$HW_CONSUMER_LOG" &
batch=$!
HW_PIDS+=("$batch")
hw_wait_for "grep -q 'consuming talent.hires and talent.offers as group early' '$HW_CONSUMER_LOG'" 30 ||
  hw_fail "the consumer did not subscribe: $(tail -3 "$HW_CONSUMER_LOG")"
redis-cli -p "$early" shutdown >/dev/null 2>&1 || true
rc=0
wait "$batch" || rc=$?
[[ $rc -eq 69 ]] || hw_fail "Redis lost before the assignment: exit $rc, want 69: $(tail -3 "$HW_CONSUMER_LOG")"
grep -q 'cannot read offsets from Redis: not taking partitions' "$HW_CONSUMER_LOG" ||
  hw_fail "the assignment refused is not said: $(grep -v component=kafka "$HW_CONSUMER_LOG" | tail -4)"
grep -q 'msg="partitions assigned"' "$HW_CONSUMER_LOG" && hw_fail "partitions were taken without their offsets"
echo PASS
