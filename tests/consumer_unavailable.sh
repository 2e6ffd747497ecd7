#!/usr/bin/env bash
# Kafka that never answers, Redis up. A run that ends by itself
# (--until-caught-up, --replay) cannot find its partitions: it warns,
# waits outage.wait.ms, then exits 69 and its closing line names the
# outage (not the errors librdkafka logs while its clients close);
# nothing is written to Redis, and a replay leaves neither its lock nor
# staging keys. The service itself waits: it warns that every broker is
# down (brokers that refuse connections and names that do not resolve
# alike) and still stops with status 0 on SIGTERM or SIGINT. A batch run
# waiting for Kafka stops at SIGTERM, with 69 (it read nothing). Kafka refusing the
# queries of the partitions' offsets: a batch run retries, says when they
# are answered again and counts every event; refused for longer than
# outage.wait.ms, it exits 69 naming the refusal. So does a batch run
# whose fetches Kafka refuses.
source "$(dirname "$0")/lib/services.sh"

hw_start_redis
closed=127.0.0.1:$(hw_free_port) # nothing listens there

# batch_run WHAT ARGS...: a batch run against the closed port, which must
# give up with 69 naming the Kafka outage.
batch_run() {
  local what=$1 rc=0 log
  shift
  HW_CONSUMER_N=$((${HW_CONSUMER_N:-0} + 1))
  log=$HW_TMP/consumer-$HW_CONSUMER_N.log
  echo "fg $log" >>"$HW_TMP/consumers"
  timeout 60 "$HW_BIN_DIR/hirewire-consumer" -b "$closed" --redis "$HW_REDIS_URL" \
    --metrics-addr off -s outage.wait.ms=1000 "$@" 2>"$log" || rc=$?
  [[ $rc -eq 69 ]] || hw_fail "$what: exit $rc, want 69: $(tail -3 "$log")"
  grep -q 'level=warn .*msg="Kafka unavailable: no metadata for topic talent.hires: .*; retrying for up to outage.wait.ms" failures=1' "$log" ||
    hw_fail "$what: the outage is not warned of first: $(grep consumer "$log" | head -3)"
  grep -q 'level=error .*msg="Kafka unavailable for [0-9]* s (outage.wait.ms=1000): no metadata for topic talent.hires: .*; giving up' "$log" ||
    hw_fail "$what: giving up is not said: $(tail -3 "$log")"
  grep 'msg="exiting with status' "$log" | tail -1 |
    grep -q 'msg="exiting with status 69 (unavailable): Kafka unavailable for [0-9]* s (outage.wait.ms=1000)' ||
    hw_fail "$what: the closing line does not name the outage: $(grep 'exiting with' "$log")"
  [[ $(redis-cli -p "$HW_REDIS_PORT" DBSIZE) -eq 0 ]] ||
    hw_fail "$what: keys left in Redis: $(redis-cli -p "$HW_REDIS_PORT" --raw KEYS '*' | head -5)"
}

hw_note "--until-caught-up without Kafka: 69 after outage.wait.ms"
batch_run "--until-caught-up" --until-caught-up
hw_note "--replay without Kafka: 69, no lock or staging key left"
batch_run "--replay" --replay

hw_note "SIGTERM while a batch run waits for Kafka: it stops then, not after outage.wait.ms"
HW_CONSUMER_N=$((${HW_CONSUMER_N:-0} + 1))
log=$HW_TMP/consumer-$HW_CONSUMER_N.log
"$HW_BIN_DIR/hirewire-consumer" -b "$closed" --redis "$HW_REDIS_URL" --metrics-addr off \
  --until-caught-up -s outage.wait.ms=600000 2>"$log" &
pid=$!
HW_PIDS+=("$pid")
echo "$pid $log" >>"$HW_TMP/consumers"
hw_wait_for "grep -q 'Kafka unavailable: no metadata for topic talent.hires' '$log'" 30 ||
  hw_fail "no outage warning: $(grep consumer "$log" | tail -3)"
t0=$(date +%s)
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
took=$(($(date +%s) - t0))
((took <= 15)) || hw_fail "SIGTERM took $took s to stop a batch run waiting for Kafka"
[[ $rc -eq 69 ]] || hw_fail "SIGTERM while waiting for Kafka: exit $rc, want 69 (nothing read): $(tail -2 "$log")"
grep -q 'msg="exiting with status 69 (unavailable): no metadata for topic talent.hires: ' "$log" ||
  hw_fail "the closing line does not name Kafka: $(grep 'exiting with' "$log")"

hw_note "the service without Kafka: warned, waiting, SIGTERM still exits 0"
# SIGTERM for one, SIGINT (an operator's Ctrl-C) for the other.
for brokers in "$closed" no-such-host.invalid:9092; do
  sig=TERM why="stopped by SIGTERM"
  [[ $brokers == "$closed" ]] || sig=INT why="stopped by a signal"
  HW_CONSUMER_N=$((${HW_CONSUMER_N:-0} + 1))
  log=$HW_TMP/consumer-$HW_CONSUMER_N.log
  "$HW_BIN_DIR/hirewire-consumer" -b "$brokers" --redis "$HW_REDIS_URL" --metrics-addr off 2>"$log" &
  pid=$!
  HW_PIDS+=("$pid")
  echo "$pid $log" >>"$HW_TMP/consumers"
  hw_wait_for "grep -q 'Kafka unavailable: all brokers are down (no broker answers a metadata request); retrying until it answers' '$log'" 30 ||
    hw_fail "$brokers: no outage warning: $(grep consumer "$log" | tail -3)"
  kill -0 "$pid" || hw_fail "$brokers: the service did not wait for Kafka: $(tail -2 "$log")"
  kill -"$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
  [[ $rc -eq 0 ]] || hw_fail "$brokers: exit $rc after SIG$sig, want 0: $(tail -2 "$log")"
  grep -q "msg=\"exiting with status 0: $why\"" "$log" || hw_fail "$brokers: closing line: $(tail -1 "$log")"
done

hw_note "Kafka refusing the offsets queries twice: the batch run waits, then counts"
ctl=$HW_TMP/control
hw_start_broker --partitions 2 --control "$ctl"
hw_produce "$HW_SRC_DIR/examples/scenario.ndjson"
fault() { # fault COMMAND: applied by the devbroker before going on
  echo "$1" >"$ctl"
  hw_wait_for "cat '$HW_TMP'/broker*.log | grep -qF 'control: applied \\\"$1\\\"'" 15 || hw_fail "fault $1 not applied"
}
fault "errors 2 2 29" # ListOffsets: TOPIC_AUTHORIZATION_FAILED
hw_consume_all -s outage.wait.ms=30000
grep -q 'Kafka unavailable: cannot read the first offsets: Broker: Topic authorization failed; retrying for up to outage.wait.ms' \
  "$HW_CONSUMER_LOG" || hw_fail "the refused query is not warned of: $(grep component=consumer "$HW_CONSUMER_LOG" | head -3)"
grep -q 'msg="Kafka answers again" after_ms=[0-9]* failures=2$' "$HW_CONSUMER_LOG" ||
  hw_fail "the end of the refusals is not said: $(grep component=consumer "$HW_CONSUMER_LOG" | head -4)"
hw_model_check hw: "$HW_SRC_DIR/examples/scenario.ndjson"

hw_note "Kafka refusing the fetches: a batch run exits 69 after outage.wait.ms, naming the refusal"
# librdkafka reports the refused fetch once and then fetches no more: the
# run must still give up, not wait for an error that does not come.
fault "errors 1 1000 29" # Fetch: TOPIC_AUTHORIZATION_FAILED
rc=0
HW_CONSUMER_TIMEOUT=60 hw_consumer --until-caught-up --prefix f: --group f -s outage.wait.ms=2000 \
  -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 || rc=$?
[[ $rc -eq 69 ]] || hw_fail "refused fetches: exit $rc, want 69: $(grep component=consumer "$HW_CONSUMER_LOG" | tail -3)"
grep -q 'level=warn .*msg="Kafka unavailable: Fetch from broker [0-9]* failed: Broker: Topic authorization failed; retrying for up to outage.wait.ms"' \
  "$HW_CONSUMER_LOG" || hw_fail "the refused fetch is not warned of: $(grep component=consumer "$HW_CONSUMER_LOG" | tail -3)"
grep -q 'msg="exiting with status 69 (unavailable): Kafka unavailable for [0-9]* s (outage.wait.ms=2000): Fetch from broker [0-9]* failed: Broker: Topic authorization failed; giving up' \
  "$HW_CONSUMER_LOG" || hw_fail "the closing line does not name the refusal: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
[[ $(redis-cli -p "$HW_REDIS_PORT" --raw KEYS 'f:*' | grep -c .) -eq 0 ]] || hw_fail "keys written under f:"
fault "clear 1" # the Fetch refusals not used: the next step is refused at its offsets query only

hw_note "Kafka refusing the offsets queries longer than outage.wait.ms: 69, naming the refusal"
fault "errors 2 1000 29"
rc=0
hw_consumer --until-caught-up --prefix x: --group x -s outage.wait.ms=1000 || rc=$?
[[ $rc -eq 69 ]] || hw_fail "refused offsets queries: exit $rc, want 69: $(tail -2 "$HW_CONSUMER_LOG")"
grep -q 'msg="exiting with status 69 (unavailable): Kafka unavailable for [0-9]* s (outage.wait.ms=1000): cannot read the first offsets: Broker: Topic authorization failed' \
  "$HW_CONSUMER_LOG" || hw_fail "the closing line does not name the refusal: $(grep 'exiting with' "$HW_CONSUMER_LOG")"
[[ $(redis-cli -p "$HW_REDIS_PORT" --raw KEYS 'x:*' | grep -c .) -eq 0 ]] || hw_fail "keys written under x:"
[[ $(hw_crashes) -eq 0 ]] || hw_fail "a consumer crashed"
echo PASS
